/**
 * Obtains the two Temporal servers duban runs on, from the package registries this machine reaches:
 * - the Temporal CLI (dev server) built with `go install` from the Go module proxy;
 * - the Java time-skipping test server copied from Maven Central with `mvn dependency:copy-dependencies`.
 * Both land in a per-user cache keyed by version, so fresh clones and CI on the same machine reuse them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `go install` refuses later CLI releases: their go.mod carries a `replace` directive. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/** Must match servers/test-server/pom.xml. */
export const TEST_SERVER_VERSION = '1.38.0';

export class ToolSetupError extends Error {
  constructor(
    readonly code: 'TEMPORAL_CLI_NOT_FOUND' | 'NO_GO' | 'GO_BUILD_FAILED' | 'NO_JAVA' | 'NO_MAVEN' | 'MAVEN_FAILED' | 'NO_CHROMIUM',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ToolSetupError';
  }
}

export function cacheRoot(): string {
  return process.env.DUBAN_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'duban');
}

function onPath(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    return statSync(path).isFile() && (statSync(path).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

type Log = (line: string) => void;
const stderrLog: Log = (line) => process.stderr.write(`[duban setup] ${line}\n`);

/** Runs a command, echoing its output as progress lines; rejects with its exit code. */
function runWithProgress(command: string, args: string[], env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) {
          log(`  ${line.trim()}`);
          tail = (tail + line + '\n').slice(-4000);
        }
      }
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${tail}`)),
    );
  });
}

/**
 * The Temporal CLI binary: `$TEMPORAL_CLI`, else `temporal` on PATH, else the cached build, else build it now.
 */
export async function ensureTemporalCli(log: Log = stderrLog): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutableFile(fromEnv)) {
      throw new ToolSetupError(
        'TEMPORAL_CLI_NOT_FOUND',
        `TEMPORAL_CLI=${fromEnv} is not an executable file; fix the path or unset TEMPORAL_CLI to let duban build the CLI.`,
      );
    }
    return fromEnv;
  }
  const onPathCli = onPath('temporal');
  if (onPathCli) return onPathCli;

  const dir = join(cacheRoot(), 'temporal-cli', TEMPORAL_CLI_VERSION);
  const binary = join(dir, 'temporal');
  if (isExecutableFile(binary)) return binary;

  const go = onPath('go');
  if (!go) {
    throw new ToolSetupError(
      'NO_GO',
      'No Temporal CLI found and no Go toolchain to build one. Install Go >= 1.25 (https://go.dev/dl/), ' +
        'or put a `temporal` binary on PATH, or set TEMPORAL_CLI=/path/to/temporal.',
    );
  }
  const staging = `${dir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const started = Date.now();
  log(`building Temporal CLI ${TEMPORAL_CLI_VERSION} with ${go} (a few minutes on 2 cores; done once per machine)…`);
  const ticker = setInterval(() => log(`  …still building (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  try {
    await runWithProgress(
      go,
      ['install', '-x=false', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`],
      { ...process.env, GOBIN: staging, GOFLAGS: process.env.GOFLAGS ?? '' },
      log,
    );
  } catch (cause) {
    rmSync(staging, { recursive: true, force: true });
    throw new ToolSetupError('GO_BUILD_FAILED', `go install of the Temporal CLI failed: ${String(cause)}`, { cause });
  } finally {
    clearInterval(ticker);
  }
  // Publish atomically so a concurrent run never sees a half-written binary.
  mkdirSync(dir, { recursive: true });
  renameSync(join(staging, 'temporal'), binary);
  rmSync(staging, { recursive: true, force: true });
  log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s → ${binary}`);
  return binary;
}

export interface TestServerInstall {
  java: string;
  classpath: string;
}

/** The Java time-skipping test server's classpath: `$TEMPORAL_TEST_SERVER_CLASSPATH`, else the cache, else Maven. */
export async function ensureTestServer(log: Log = stderrLog): Promise<TestServerInstall> {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : onPath('java');
  if (!java || !existsSync(java)) {
    throw new ToolSetupError('NO_JAVA', 'Java 17 is needed for the time-skipping test server: install a JDK 17 or set JAVA_HOME.');
  }
  const fromEnv = process.env.TEMPORAL_TEST_SERVER_CLASSPATH;
  if (fromEnv) return { java, classpath: fromEnv };

  const lib = join(cacheRoot(), 'temporal-test-server', TEST_SERVER_VERSION, 'lib');
  if (existsSync(lib) && readdirSync(lib).some((f) => f.startsWith('temporal-test-server'))) {
    return { java, classpath: join(lib, '*') };
  }
  const mvn = onPath('mvn');
  if (!mvn) {
    throw new ToolSetupError(
      'NO_MAVEN',
      'Maven is needed once to fetch io.temporal:temporal-test-server: install Maven 3, ' +
        'or set TEMPORAL_TEST_SERVER_CLASSPATH to an existing classpath.',
    );
  }
  const staging = `${lib}.fetching-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  log(`fetching temporal-test-server ${TEST_SERVER_VERSION} from Maven Central…`);
  const started = Date.now();
  try {
    await runWithProgress(
      mvn,
      [
        '-q',
        '-B',
        '-f',
        join(__dirname, 'test-server', 'pom.xml'),
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${staging}`,
      ],
      process.env,
      log,
    );
  } catch (cause) {
    rmSync(staging, { recursive: true, force: true });
    throw new ToolSetupError('MAVEN_FAILED', `Maven could not fetch the test server: ${String(cause)}`, { cause });
  }
  rmSync(lib, { recursive: true, force: true });
  renameSync(staging, lib);
  log(`test server fetched in ${Math.round((Date.now() - started) / 1000)} s → ${lib}`);
  return { java, classpath: join(lib, '*') };
}

/**
 * Headless Chromium for the dashboard's browser test: `$CHROMIUM_PATH`, else Debian's /usr/bin/chromium, else
 * install Debian's `chromium` (and CJK fonts, so screenshots show Chinese) when running as root with apt-get.
 */
export async function ensureChromium(log: Log = stderrLog): Promise<string> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!isExecutableFile(fromEnv)) throw new ToolSetupError('NO_CHROMIUM', `CHROMIUM_PATH=${fromEnv} is not an executable file.`);
    return fromEnv;
  }
  const debian = '/usr/bin/chromium';
  if (isExecutableFile(debian)) return debian;
  const apt = onPath('apt-get');
  if (!apt || process.getuid?.() !== 0) {
    throw new ToolSetupError('NO_CHROMIUM', 'The dashboard test needs Chromium: install Debian\'s `chromium` (apt-get install chromium fonts-noto-cjk) or set CHROMIUM_PATH.');
  }
  log('installing Debian chromium and CJK fonts for the dashboard test (once per machine)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runWithProgress(apt, ['-qq', 'update'], env, log);
  await runWithProgress(apt, ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-noto-cjk'], env, log);
  if (!isExecutableFile(debian)) throw new ToolSetupError('NO_CHROMIUM', 'apt-get finished but /usr/bin/chromium is missing.');
  return debian;
}
