// History <-> the proto3 JSON that `temporal workflow show --output json` and the Web UI download
// produce: the same as historyToJSON/historyFromJSON of @temporalio/common, which fail here
// ("type must be a Type") because npm installed three copies of protobufjs 8 and common's
// protojson does not recognise the types of @temporalio/proto's copy. So the protojson of that
// same copy is used.
import { createRequire } from 'node:module';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

type History = proto.temporal.api.history.v1.IHistory;
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const requireFromProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const { toJson, fromJson } = requireFromProto('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

/** A fetched history as a plain JSON object (payload data in base64). */
export function historyToJson(history: History): Record<string, unknown> {
  return toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)) as Record<string, unknown>;
}

/** A History that Worker.runReplayHistory takes as it is. */
export function historyFromJson(json: unknown): History {
  const history = fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history) throw new TypeError('not a workflow history');
  return history;
}
