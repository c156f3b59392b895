/**
 * GreenMail, a real SMTP + IMAP server in one Java process, for the tests of email replies: mail goes in by SMTP
 * (the same nodemailer path duban sends by) and is read back over IMAP. Fetched once from Maven Central into the
 * per-user cache (pinned, like the Temporal test server in servers/tools.ts) and started on free loopback ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, spawnTied } from './processes';
import { cacheRoot } from './tools';

/** Must match servers/greenmail/pom.xml. */
export const GREENMAIL_VERSION = '2.1.7';

export class GreenMailError extends Error {
  constructor(
    readonly code: 'NO_JAVA' | 'NO_MAVEN' | 'MAVEN_FAILED' | 'NOT_READY',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GreenMailError';
  }
}

function onPath(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

/** The standalone jar: `$GREENMAIL_JAR`, else the cache, else fetched now with Maven. */
export async function ensureGreenMail(
  log: (line: string) => void = (l) => process.stderr.write(`[duban setup] ${l}\n`),
): Promise<{ java: string; jar: string }> {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : onPath('java');
  if (!java || !existsSync(java))
    throw new GreenMailError('NO_JAVA', 'GreenMail needs Java 11 or later: install a JDK or set JAVA_HOME.');
  if (process.env.GREENMAIL_JAR) return { java, jar: process.env.GREENMAIL_JAR };
  const lib = join(cacheRoot(), 'greenmail', GREENMAIL_VERSION, 'lib');
  const jar = join(lib, `greenmail-standalone-${GREENMAIL_VERSION}.jar`);
  if (existsSync(jar)) return { java, jar };
  const mvn = onPath('mvn');
  if (!mvn)
    throw new GreenMailError(
      'NO_MAVEN',
      'Maven is needed once to fetch com.icegreen:greenmail-standalone: install Maven 3, or set GREENMAIL_JAR.',
    );
  const staging = `${lib}.fetching-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  log(`fetching greenmail-standalone ${GREENMAIL_VERSION} from Maven Central…`);
  const args = [
    '-q',
    '-B',
    '-f',
    join(__dirname, 'greenmail', 'pom.xml'),
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${staging}`,
  ];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(mvn, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0 || !existsSync(join(staging, `greenmail-standalone-${GREENMAIL_VERSION}.jar`))) {
    rmSync(staging, { recursive: true, force: true });
    throw new GreenMailError('MAVEN_FAILED', `mvn ${args.join(' ')} exited with ${code}`);
  }
  // Published whole, so a concurrent run never sees half a download.
  rmSync(lib, { recursive: true, force: true });
  renameSync(staging, lib);
  return { java, jar };
}

export interface RunningMailServer {
  host: string;
  smtpPort: number;
  imapPort: number;
  startMs: number;
  stop(): Promise<void>;
}

/** Resolves once the port greets with `expected` (SMTP's 220, IMAP's * OK): a real round trip, not a sleep. */
function greets(port: number, expected: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
      if (data.includes('\n')) done(data.startsWith(expected));
    });
  });
}

/**
 * GreenMail on free loopback ports. `users`: `address:password` accounts (login is the whole address). Mail to an
 * address without an account creates one whose password is the address (GreenMail's rule).
 */
export async function startGreenMail(options: { users?: string[] } = {}): Promise<RunningMailServer> {
  const { java, jar } = await ensureGreenMail();
  const [smtpPort, imapPort] = [await freePort(), await freePort()];
  const users = (options.users ?? []).map((u) => {
    const [address = '', password = ''] = u.split(/:(.*)/s);
    const [local, domain] = address.split('@');
    return `${local}:${password}@${domain}`;
  });
  const props = [
    `-Dgreenmail.smtp.hostname=127.0.0.1`,
    `-Dgreenmail.smtp.port=${smtpPort}`,
    `-Dgreenmail.imap.hostname=127.0.0.1`,
    `-Dgreenmail.imap.port=${imapPort}`,
    '-Dgreenmail.users.login=email',
    ...(users.length ? [`-Dgreenmail.users=${users.join(',')}`] : []),
  ];
  const started = Date.now();
  // A small heap and the client compiler: the machine's two cores are shared with Temporal's servers.
  const child: ChildProcess = spawnTied(java, ['-Xmx128m', '-XX:TieredStopAtLevel=1', ...props, '-jar', jar]);
  let output = '';
  const keep = (c: Buffer) => {
    output = (output + c.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }, 10_000);
      child.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new GreenMailError('NOT_READY', `GreenMail exited with ${child.exitCode} before it was ready:\n${output}`);
    if ((await greets(smtpPort, '220')) && (await greets(imapPort, '* OK'))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new GreenMailError(
        'NOT_READY',
        `GreenMail did not answer on ${smtpPort}/${imapPort} within 60 s:\n${output}`,
      );
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return { host: '127.0.0.1', smtpPort, imapPort, startMs: Date.now() - started, stop };
}
