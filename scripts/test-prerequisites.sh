#!/usr/bin/env bash
# Installs the Debian packages the tests need (run by npm as the `pretest` script).
#
# The tests start real servers of their own on 127.0.0.1 (a private Postfix per test; PostgreSQL,
# MariaDB, OpenLDAP and Dovecot for the directory sources; Dovecot's IMAP for the bounce mailbox
# of delivery reports; each from a temporary folder):
# they need the programs below installed, but never the system's own daemons running. When a
# program is missing, this installs its package without starting any daemon (policy-rc.d), and
# stops the system's own Postfix afterwards. When everything is there it prints nothing.
set -euo pipefail

# program (absolute path) -> Debian package that provides it. Add a line for each new need.
REQUIRED=(
	"/usr/sbin/postfix       postfix"
	"/usr/sbin/postconf      postfix"
	"/usr/sbin/smtp-sink     postfix"
	"/usr/sbin/smtp-source   postfix"
	"/usr/lib/postgresql/15/bin/initdb  postgresql"
	"/usr/lib/postgresql/15/bin/pg_ctl  postgresql"
	"/usr/bin/mariadb-install-db        mariadb-server"
	"/usr/sbin/mariadbd                 mariadb-server"
	"/usr/sbin/slapd         slapd"
	"/usr/bin/ldapadd        ldap-utils"
	"/usr/sbin/dovecot       dovecot-core"
	"/usr/bin/doveadm        dovecot-core"
	"/usr/lib/dovecot/imap        dovecot-imapd"
	"/usr/lib/dovecot/imap-login  dovecot-imapd"
	"/usr/bin/systemd-analyze     systemd"
)

missing=()
for entry in "${REQUIRED[@]}"; do
	read -r program package <<<"$entry"
	if [[ ! -x $program ]]; then
		# One mention per package, in table order.
		if [[ " ${missing[*]-} " != *" $package "* ]]; then
			missing+=("$package")
		fi
	fi
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if ((EUID != 0)); then
	echo "The tests need these Debian packages, not installed: ${missing[*]}" >&2
	echo "Install them (no daemon is started) with:" >&2
	echo "  sudo bash scripts/test-prerequisites.sh" >&2
	exit 1
fi

echo "Installing Debian packages for the tests: ${missing[*]}" >&2

# Keep packaged daemons from being started by the install; remove the guard only if we made it.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	created_policy=1
fi
cleanup() {
	if ((created_policy)); then
		rm -f "$policy"
	fi
}
trap cleanup EXIT

if [[ " ${missing[*]} " == *" postfix "* ]]; then
	# No system mail configuration: the tests run instances of their own.
	echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
fi

if [[ " ${missing[*]} " == *" slapd "* ]]; then
	# slapd's package configuration asks questions (the domain, the admin password).
	echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections
fi

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

if [[ " ${missing[*]} " == *" postfix "* ]]; then
	# The system's own Postfix must not run (policy-rc.d kept it from starting; make sure).
	postfix stop >/dev/null 2>&1 || true
fi

for entry in "${REQUIRED[@]}"; do
	read -r program package <<<"$entry"
	if [[ ! -x $program ]]; then
		echo "Still missing after installing $package: $program" >&2
		exit 1
	fi
done
