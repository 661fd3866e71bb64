/**
 * A whole freeradius (Debian 3.2) configuration in one directory, for the interop tests that run
 * freeradius in the foreground (`freeradius -X -d DIR`): radiusd.conf with one client, a users
 * file of cleartext passwords, PAP and CHAP (MS-CHAP on request), logging to stdout. No system
 * configuration is read or changed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Path of the Debian freeradius binary. */
export const FREERADIUS = '/usr/sbin/freeradius';

export interface FreeRadiusConfig {
  /** Client block name and the addresses it covers (e.g. 127.0.0.1 or 0.0.0.0/0). */
  readonly client: { readonly name: string; readonly ipaddr: string; readonly secret: string };
  /** Refuse requests without a Message-Authenticator (RFC 3579 §3.2). */
  readonly requireMessageAuthenticator: boolean;
  /** The authentication port on 127.0.0.1. */
  readonly authPort: number;
  /** An accounting port on 127.0.0.1 whose requests are accepted and dropped; none when unset. */
  readonly acctPort?: number;
  /** MS-CHAP (v1 and v2) beside PAP and CHAP. */
  readonly mschap?: boolean;
  /** Log every accepted and refused login (auth_goodpass / auth_badpass). */
  readonly logLogins?: boolean;
  /** A Reply-Message on every reject: this text, a space and the User-Name. */
  readonly rejectMessage?: string;
  /** name → password (`Cleartext-Password`). */
  readonly users: Readonly<Record<string, string>>;
}

/** Writes radiusd.conf and users (and acct_users with accounting) into `dir`. */
export async function writeFreeRadiusConfig(dir: string, o: FreeRadiusConfig): Promise<void> {
  const users = Object.entries(o.users)
    .map(([name, password]) => `${name} Cleartext-Password := "${password}"\n`)
    .join('');
  await writeFile(join(dir, 'users'), users);
  if (o.acctPort !== undefined) await writeFile(join(dir, 'acct_users'), '');
  await writeFile(join(dir, 'radiusd.conf'), radiusdConf(dir, o));
}

function radiusdConf(d: string, o: FreeRadiusConfig): string {
  const acct = o.acctPort !== undefined;
  const mschap = o.mschap === true;
  const logLogins = o.logLogins === true ? 'yes' : 'no';
  return `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${d}
raddbdir = ${d}
radacctdir = ${d}
name = freeradius
confdir = ${d}
modconfdir = ${d}
run_dir = ${d}
db_dir = ${d}
libdir = /usr/lib/freeradius
pidfile = ${d}/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
	destination = stdout
	auth = yes
	auth_badpass = ${logLogins}
	auth_goodpass = ${logLogins}
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
client ${o.client.name} {
	ipaddr = ${o.client.ipaddr}
	secret = ${o.client.secret}
	require_message_authenticator = ${o.requireMessageAuthenticator ? 'yes' : 'no'}
	limit_proxy_state = no
}
modules {
	pap {
	}
	chap {
	}
${mschap ? '\tmschap {\n\t}\n' : ''}	files {
		filename = ${d}/users
${acct ? `\t\tacctusersfile = ${d}/acct_users\n` : ''}	}
${acct ? '\talways ok {\n\t\trcode = ok\n\t}\n' : ''}}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = ${o.authPort}
	}
${acct ? `\tlisten {\n\t\ttype = acct\n\t\tipaddr = 127.0.0.1\n\t\tport = ${o.acctPort}\n\t}\n` : ''}	authorize {
		chap
${mschap ? '\t\tmschap\n' : ''}		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
${mschap ? '\t\tAuth-Type MS-CHAP {\n\t\t\tmschap\n\t\t}\n' : ''}	}
${acct ? '\tpreacct {\n\t\tok\n\t}\n\taccounting {\n\t\tok\n\t}\n' : ''}${
  o.rejectMessage === undefined
    ? ''
    : `\tpost-auth {\n\t\tPost-Auth-Type REJECT {\n\t\t\tupdate reply {\n\t\t\t\tReply-Message := "${o.rejectMessage} %{User-Name}"\n\t\t\t}\n\t\t}\n\t}\n`
}}
`;
}
