#!/usr/bin/env bash
# Local services for development and tests: MariaDB, PostgreSQL 15 and moto_server (S3+SQS).
#
#   scripts/services.sh up      start whatever is not already answering; print `export` lines
#   scripts/services.sh down    stop only the processes this script started (by PID)
#   scripts/services.sh env     print the `export` lines without starting anything
#   scripts/services.sh restart-pg   fast-restart the PostgreSQL it started (fault suite)
#
# A service is left alone when its URL is already configured in the environment
# (OE_MYSQL_URL, OE_PG_URL, AWS_ENDPOINT_URL), so the same commands work against LocalStack
# or existing databases. Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# State lives outside the checkout: PostgreSQL runs as the `postgres` user, which may not be
# able to traverse the directory a clone sits in (e.g. /root).
state=${OE_STATE_DIR:-/tmp/offline-export-$(printf %s "$repo" | cksum | cut -d' ' -f1)}
mysql_port=${OE_MYSQL_PORT:-53306}
pg_port=${OE_PG_PORT:-55432}
moto_port=${OE_MOTO_PORT:-54566}
pgbin=${OE_PG_BIN:-/usr/lib/postgresql/15/bin}
# Local-only credentials for throwaway servers bound to 127.0.0.1.
db_user=export
db_pass=export-local-pw
db_name=offline_export
# The task tables live in a database of their own that the reader cannot read (README "The data role").
task_db_name=offline_export_tasks
# The SELECT-only user task SQL runs as (DATA_DB_URL locally), as the README's GRANT script sets up.
reader_user=export_reader
reader_pass=export-reader-pw

say() { echo "[services] $*" >&2; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() { # wait_for SECONDS DESCRIPTION CMD...
  local secs=$1 what=$2
  shift 2
  for _ in $(seq 1 $((secs * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  say "$what did not become ready in ${secs}s"
  return 1
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

refuse_busy() { # refuse_busy PORT NAME VAR
  if port_busy "$1"; then
    say "$2: port $1 is taken by a process this script did not start; set $3 (or the URL) to use another"
    exit 1
  fi
}

mysql_url() { echo "${OE_MYSQL_URL:-mysql://$db_user:$db_pass@127.0.0.1:$mysql_port/$db_name}"; }
pg_url() { echo "${OE_PG_URL:-postgres://$db_user:$db_pass@127.0.0.1:$pg_port/$db_name}"; }
# Servers given by URL keep their task tables where OE_*_TASK_URL says, else in the same database.
mysql_task_url() {
  if [ -n "${OE_MYSQL_URL:-}" ]; then echo "${OE_MYSQL_TASK_URL:-$OE_MYSQL_URL}"; else echo "mysql://$db_user:$db_pass@127.0.0.1:$mysql_port/$task_db_name"; fi
}
pg_task_url() {
  if [ -n "${OE_PG_URL:-}" ]; then echo "${OE_PG_TASK_URL:-$OE_PG_URL}"; else echo "postgres://$db_user:$db_pass@127.0.0.1:$pg_port/$task_db_name"; fi
}
# Servers given by URL: their reader is the same URL unless OE_*_READER_URL says otherwise.
mysql_reader_url() {
  if [ -n "${OE_MYSQL_URL:-}" ]; then echo "${OE_MYSQL_READER_URL:-$OE_MYSQL_URL}"; else echo "mysql://$reader_user:$reader_pass@127.0.0.1:$mysql_port/$db_name"; fi
}
pg_reader_url() {
  if [ -n "${OE_PG_URL:-}" ]; then echo "${OE_PG_READER_URL:-$OE_PG_URL}"; else echo "postgres://$reader_user:$reader_pass@127.0.0.1:$pg_port/$db_name"; fi
}
aws_url() { echo "${AWS_ENDPOINT_URL:-http://127.0.0.1:$moto_port}"; }

start_mysql() {
  if [ -n "${OE_MYSQL_URL:-}" ]; then say "MySQL: using OE_MYSQL_URL"; return; fi
  local dir=$state/mariadb sock=$state/mariadb.sock pidf=$state/mariadb.pid
  if alive "$pidf"; then say "MariaDB already running (pid $(cat "$pidf"), port $mysql_port)"; return; fi
  if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
    say "MariaDB not installed: apt-get install mariadb-server (about 10-30 s, log $state/apt.log)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server; } >"$state/apt.log" 2>&1; then
      tail -20 "$state/apt.log" >&2
      say "installing MariaDB failed (needs root and Debian's package mirror); or set OE_MYSQL_URL"
      exit 1
    fi
  fi
  refuse_busy "$mysql_port" MariaDB OE_MYSQL_PORT
  local fresh=0
  if [ ! -d "$dir/mysql" ]; then
    say "MariaDB: initialising $dir"
    mkdir -p "$dir"
    mariadb-install-db --no-defaults --user=root --datadir="$dir" --auth-root-authentication-method=socket >"$state/mariadb-init.log" 2>&1
    fresh=1
  fi
  say "MariaDB: starting on 127.0.0.1:$mysql_port (log $state/mariadb.log)"
  nohup /usr/sbin/mariadbd --no-defaults --user=root --datadir="$dir" --socket="$sock" \
    --port="$mysql_port" --bind-address=127.0.0.1 --pid-file="$state/mariadbd.pid" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --max-connections=500 >"$state/mariadb.log" 2>&1 &
  echo $! >"$pidf"
  wait_for 60 MariaDB mariadb-admin --no-defaults --socket="$sock" -uroot ping
  if [ "$fresh" = 1 ]; then
    mariadb --no-defaults --socket="$sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS $db_name CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$db_user'@'127.0.0.1' IDENTIFIED BY '$db_pass';
CREATE USER IF NOT EXISTS '$db_user'@'localhost' IDENTIFIED BY '$db_pass';
GRANT ALL PRIVILEGES ON *.* TO '$db_user'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$db_user'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  fi
}

start_pg() {
  if [ -n "${OE_PG_URL:-}" ]; then say "PostgreSQL: using OE_PG_URL"; return; fi
  local dir=$state/pg sock=$state/pgsock
  if runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    say "PostgreSQL already running (port $pg_port)"
    return
  fi
  refuse_busy "$pg_port" PostgreSQL OE_PG_PORT
  mkdir -p "$sock"
  chown postgres:postgres "$sock"
  local fresh=0
  if [ ! -f "$dir/PG_VERSION" ]; then
    say "PostgreSQL: initialising $dir"
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    runuser -u postgres -- "$pgbin/initdb" -D "$dir" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$state/pg-init.log" 2>&1
    fresh=1
  fi
  say "PostgreSQL: starting on 127.0.0.1:$pg_port (log $state/pg.log)"
  touch "$state/pg.log"
  chown postgres:postgres "$state/pg.log"
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir" -l "$state/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $sock -c max_connections=300 -c fsync=off" start >&2
  # pg_ctl forks the server; its own pid file is the record of what we started.
  head -1 "$dir/postmaster.pid" >"$state/pg.pid"
  if [ "$fresh" = 1 ]; then
    runuser -u postgres -- "$pgbin/psql" -h "$sock" -p "$pg_port" -U postgres -q -v ON_ERROR_STOP=1 >&2 <<SQL
CREATE ROLE $db_user LOGIN SUPERUSER PASSWORD '$db_pass';
CREATE DATABASE $db_name OWNER $db_user;
SQL
  fi
}

start_moto() {
  if [ -n "${AWS_ENDPOINT_URL:-}" ]; then say "S3/SQS: using AWS_ENDPOINT_URL"; return; fi
  local pidf=$state/moto.pid
  if alive "$pidf"; then say "moto_server already running (pid $(cat "$pidf"), port $moto_port)"; return; fi
  refuse_busy "$moto_port" moto_server OE_MOTO_PORT
  if ! command -v moto_server >/dev/null 2>&1; then
    say "moto_server is not installed (pip install 'moto[server]'), or set AWS_ENDPOINT_URL to LocalStack"
    exit 1
  fi
  say "moto_server (S3+SQS emulator): starting on 127.0.0.1:$moto_port (log $state/moto.log)"
  nohup moto_server -H 127.0.0.1 -p "$moto_port" >"$state/moto.log" 2>&1 &
  echo $! >"$pidf"
  wait_for 60 moto_server curl -sf "http://127.0.0.1:$moto_port/moto-api/"
}

print_env() {
  cat <<ENV
export OE_MYSQL_URL='$(mysql_url)'
export OE_PG_URL='$(pg_url)'
export OE_MYSQL_TASK_URL='$(mysql_task_url)'
export OE_PG_TASK_URL='$(pg_task_url)'
export OE_MYSQL_READER_URL='$(mysql_reader_url)'
export OE_PG_READER_URL='$(pg_reader_url)'
export AWS_ENDPOINT_URL='$(aws_url)'
export AWS_REGION='${AWS_REGION:-us-east-1}'
export AWS_ACCESS_KEY_ID='${AWS_ACCESS_KEY_ID:-test}'
export AWS_SECRET_ACCESS_KEY='${AWS_SECRET_ACCESS_KEY:-test}'
ENV
}

# The SELECT-only reader and the task database, on every `up` (idempotent), so state from
# before they existed gets them. The reader may read the data database only: not the task
# tables (other people's links and queries), not other sessions' SQL.
ensure_readers() {
  if [ -z "${OE_MYSQL_URL:-}" ]; then
  # --force: the REVOKEs fail harmlessly once done. MariaDB's install grants PUBLIC everything
  # on the test and test_% databases, which would let the reader write there.
  mariadb --no-defaults --force --socket="$state/mariadb.sock" -uroot 2>/dev/null <<SQL
CREATE DATABASE IF NOT EXISTS $task_db_name CHARACTER SET utf8mb4;
REVOKE ALL PRIVILEGES ON test.* FROM PUBLIC;
REVOKE ALL PRIVILEGES ON \`test\\_%\`.* FROM PUBLIC;
CREATE USER IF NOT EXISTS '$reader_user'@'127.0.0.1' IDENTIFIED BY '$reader_pass';
CREATE USER IF NOT EXISTS '$reader_user'@'localhost' IDENTIFIED BY '$reader_pass';
ALTER USER '$reader_user'@'127.0.0.1' IDENTIFIED BY '$reader_pass';
ALTER USER '$reader_user'@'localhost' IDENTIFIED BY '$reader_pass';
GRANT SELECT ON $db_name.* TO '$reader_user'@'127.0.0.1';
GRANT SELECT ON $db_name.* TO '$reader_user'@'localhost';
SQL
  fi
  if [ -z "${OE_PG_URL:-}" ]; then
    # SELECT on what the owner creates in public, nothing else.
  runuser -u postgres -- "$pgbin/psql" -h "$state/pgsock" -p "$pg_port" -U postgres -d "$db_name" -q -v ON_ERROR_STOP=1 >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$reader_user') THEN
    CREATE ROLE $reader_user LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$reader_pass';
  END IF;
END \$\$;
-- Its password as this script knows it, even if a test of an attack got to change it.
ALTER ROLE $reader_user PASSWORD '$reader_pass';
GRANT CONNECT ON DATABASE $db_name TO $reader_user;
GRANT USAGE ON SCHEMA public TO $reader_user;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $reader_user;
ALTER DEFAULT PRIVILEGES FOR ROLE $db_user IN SCHEMA public GRANT SELECT ON TABLES TO $reader_user;
-- Sessions of the reader record no query text: one task cannot read another's SQL in
-- pg_stat_activity (only a superuser may turn it back on).
ALTER ROLE $reader_user SET track_activities = off;
SELECT 'CREATE DATABASE $task_db_name OWNER $db_user' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$task_db_name')
\gexec
REVOKE CONNECT ON DATABASE $task_db_name FROM PUBLIC;
SQL
  fi
}

stop_pidfile() { # stop_pidfile NAME FILE
  if alive "$2"; then
    say "stopping $1 (pid $(cat "$2"))"
    kill "$(cat "$2")" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$2" || break; sleep 0.1; done
  fi
  rm -f "$2"
}

case "${1:-up}" in
  up)
    mkdir -p "$state"
    chmod 755 "$state"
    start_mysql
    start_pg
    start_moto
    ensure_readers
    print_env
    ;;
  env) print_env ;;
  down)
    stop_pidfile moto_server "$state/moto.pid"
    stop_pidfile MariaDB "$state/mariadb.pid"
    if [ -f "$state/pg/PG_VERSION" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$state/pg" status >/dev/null 2>&1; then
      say "stopping PostgreSQL (pid $(cat "$state/pg.pid" 2>/dev/null))"
      runuser -u postgres -- "$pgbin/pg_ctl" -D "$state/pg" -m fast -w stop >&2
    fi
    rm -f "$state/pg.pid"
    ;;
  restart-pg)
    # For the fault suite: a real fast restart of the PostgreSQL this script started (only).
    if [ -f "$state/pg.pid" ] &&
      runuser -u postgres -- "$pgbin/pg_ctl" -D "$state/pg" status >/dev/null 2>&1; then
      runuser -u postgres -- "$pgbin/pg_ctl" -D "$state/pg" -l "$state/pg.log" -m fast -w -t 60 restart >&2
      head -1 "$state/pg/postmaster.pid" >"$state/pg.pid"
    else
      say "PostgreSQL was not started by this script; not restarting it"
      exit 3
    fi
    ;;
  *)
    echo "usage: $0 up|down|env|restart-pg" >&2
    exit 2
    ;;
esac
