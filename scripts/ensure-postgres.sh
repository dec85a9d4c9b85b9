#!/usr/bin/env bash
# ensure-postgres.sh makes sure a PostgreSQL server answers on 127.0.0.1:5432
# with a database the tests can use (make test runs it; see pgstate's tests),
# on a Debian machine, fresh or not:
#
#   1. a server already answers: use it;
#   2. else a cluster exists (/etc/postgresql/<ver>/main): start the newest;
#   3. else install postgresql with apt-get (sudo when not root) and start it.
#
# Then it checks that the DSN below connects. When it does not (a fresh
# install: no database "test", password auth on 127.0.0.1), it creates, as
# the postgres OS user, a role trailwarden_test (LOGIN, not a superuser) that
# owns the database test, and lets only that role into only that database
# from 127.0.0.1 without a password (one line at the top of pg_hba.conf).
#
# It says what it does on stderr and prints the DSN to use on stdout, so:
#   TRAILWARDEN_TEST_POSTGRES=$(scripts/ensure-postgres.sh)
# It exits non-zero, saying why, when it cannot get there.
set -euo pipefail

HOST=127.0.0.1
PORT=${TRAILWARDEN_PG_PORT:-5432} # another port only to test this script
export PGPORT=$PORT                # for psql and createdb on the socket
DB=test
ROLE=trailwarden_test

log() { echo "ensure-postgres: $*" >&2; }
die() {
	log "FAILED: $*"
	exit 1
}

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	SUDO=(sudo -n) # no password prompt unless someone is there to answer it
	[ -t 0 ] && SUDO=(sudo)
fi
as_root() {
	if [ ${#SUDO[@]} -gt 0 ] && ! command -v sudo >/dev/null; then
		die "need root for: $* (not root, and no sudo)"
	fi
	"${SUDO[@]}" "$@"
}
# as_postgres runs a command as the postgres OS user (peer auth on the socket).
as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "${SUDO[@]}" -u postgres -- "$@")
	fi
}

ready() { command -v pg_isready >/dev/null && pg_isready -q -h "$HOST" -p "$PORT"; }

wait_ready() {
	for _ in $(seq 1 30); do
		ready && return 0
		sleep 1
	done
	return 1
}

newest_cluster() {
	local d
	d=$(ls -d /etc/postgresql/*/main 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && basename "$(dirname "$d")"
}

start_cluster() {
	local ver=$1
	log "starting cluster $ver/main: pg_ctlcluster --skip-systemctl-redirect $ver main start"
	as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start ||
		die "pg_ctlcluster $ver main start failed (see /var/log/postgresql/postgresql-$ver-main.log)"
	wait_ready || die "cluster $ver/main started but nothing answers on $HOST:$PORT: $(pg_lsclusters 2>&1 | tr '\n' ' ')"
}

if ready; then
	log "a server already answers on $HOST:$PORT"
else
	ver=$(newest_cluster || true)
	if [ -z "$ver" ]; then
		log "no PostgreSQL cluster: installing postgresql with apt-get"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 || die "apt-get install postgresql failed"
		ver=$(newest_cluster || true)
		[ -n "$ver" ] || die "postgresql is installed but no cluster exists in /etc/postgresql"
	fi
	if ready; then # the package's postinst may have started it
		log "cluster $ver/main answers on $HOST:$PORT"
	else
		start_cluster "$ver"
	fi
fi

dsn_for() { echo "postgres://$1@$HOST:$PORT/$DB?sslmode=disable"; }
connects() { psql "$1" -Atqc 'SELECT 1' >/dev/null 2>&1; }

command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"
for user in postgres "$ROLE"; do
	if connects "$(dsn_for "$user")"; then
		log "database $DB on $HOST:$PORT accepts $user"
		dsn_for "$user"
		exit 0
	fi
done

# Either the database is missing, or password auth refuses us: set up the
# role, its database and one trust line, as the postgres OS user.
log "$(dsn_for postgres) does not connect: setting up role $ROLE and database $DB"
if [ "$(as_postgres psql -Atqc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
	as_postgres psql -qc "CREATE ROLE $ROLE LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" >&2 || die "create role $ROLE"
	log "created role $ROLE"
fi
if [ "$(as_postgres psql -Atqc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
	as_postgres createdb -O "$ROLE" "$DB" >&2 || die "create database $DB"
	log "created database $DB owned by $ROLE"
else
	as_postgres psql -qc "GRANT CREATE, CONNECT ON DATABASE $DB TO $ROLE" >&2 || die "grant on database $DB"
	log "granted CREATE on the existing database $DB to $ROLE"
fi
hba=$(as_postgres psql -Atqc 'SHOW hba_file') || die "cannot read hba_file"
line="host $DB $ROLE $HOST/32 trust"
if ! as_root grep -qF "$line" "$hba"; then
	as_root sed -i "1i $line # added by trailwarden scripts/ensure-postgres.sh" "$hba" || die "edit $hba"
	log "added to the top of $hba: $line"
fi
as_postgres psql -qc 'SELECT pg_reload_conf()' >/dev/null || die "reload the server's configuration"
sleep 1
connects "$(dsn_for "$ROLE")" || die "$(dsn_for "$ROLE") still does not connect"
log "database $DB on $HOST:$PORT accepts $ROLE"
dsn_for "$ROLE"
