// A TCP gate in front of the real Temporal dev server, for trigger tests that need Temporal to stop
// answering and come back: while shut it accepts connections and never answers (a call waits out
// its deadline, as behind a dead load balancer); opened, it forwards bytes both ways.
import net from 'node:net';

export interface TcpGate {
  /** host:port to give the client instead of the server's. */
  address: string;
  /** Forward from now on; connections held while shut are dropped, so the client reconnects. */
  open(): void;
  /** Hold every connection from now on (those already open are dropped). */
  shut(): void;
  stop(): Promise<void>;
}

export async function startTcpGate(target: string, initially: 'open' | 'shut'): Promise<TcpGate> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  let isOpen = initially === 'open';
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  const server = net.createServer((client) => {
    track(client);
    if (!isOpen) {
      client.resume(); // read and discard: the client's bytes go nowhere, no answer comes back
      return;
    }
    const upstream = net.connect({ host, port });
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port: gatePort } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${gatePort}`,
    open() {
      isOpen = true;
      dropAll();
    },
    shut() {
      isOpen = false;
      dropAll();
    },
    async stop() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
