/** `duban --help`, in Chinese and English. */
export const HELP = `督办 duban — 把县级工作通知变成按工作日提醒、可回复、会逐级督办的 Temporal 工作流
duban — turns county work notices into Temporal workflows that remind, take replies and escalate

用法 Usage: npx duban <命令 command> [选项 options]

命令 Commands:
  start                 启动主任务：内置 Temporal 开发服务器（data/ 下 SQLite）、worker，并打印各服务地址
                        Run the main job: embedded Temporal dev server (SQLite under data/), worker; prints addresses
  plan NOTICE --year Y  从通知提取时限任务：牵头/配合单位、截止日期、周期、次数要求，均附原句
     [--json] [--out plan.yaml] [--directory units.yaml]
                        Extract every time-bound duty of a notice (text in UTF-8 or GBK, .docx, a PDF with a text
                        layer, or a task table as .xlsx), each with its source sentence
  import NOTICE [--year Y] [--directory units.yaml] [--force]
                        把通知提取成计划，写入 data/plans/<通知名>.yaml 供核对（已有文件须加 --force 才覆盖）
                        Propose a notice's plan into data/plans/ for review (an existing plan only with --force)
  campaign start PLAN [--year Y] | list [--json] | stop ID [--yes]
                        在运行中的服务器上启动/列出/停止督办批次；各批次同一单位同一时刻只发一条消息，
                        后启动的批次回复编号带字母前缀（b5、c19a），不与其他批次重复
                        Start, list or stop campaigns on the running server; one message per unit and instant
                        across campaigns; later campaigns' reply codes carry a letter (b5, c19a)
  simulate --year 2022 [--replies none|prompt|mixed] [--json] [--plan plan.yaml] [--directory units.yaml]
                        在时间跳跃测试服务器上模拟全年：打印每条消息和模拟回复
                        Run a plan's whole year on the time-skipping server, printing every message and reply
     [--also NOTICE_OR_PLAN …] [--desk on|off]  同一年再模拟其他通知（各批次经同一发件台合并消息）
                                   more notices in the same year (their messages merged by one desk)
     [--stall-seconds 60] 无进展超过该秒数即报错并指出卡住的工作流   fail naming the stuck workflow after this long
     [--xlsx FILE.xlsx [--force]]  写出模拟年度结束时的督办台账（Excel；已有文件须加 --force 才覆盖）
                                   write the simulated year's closing 台账 (an existing file only with --force)
  ledger --xlsx FILE.xlsx [--force] [--campaign ID] [--year Y] [--plan plan.yaml]
                        从运行中的督办批次导出台账（Excel，每项任务一行：状态、确认/办结人和时间、延期、督办次数）；
                        计划、年份同 npm start（DUBAN_PLAN、DUBAN_YEAR）；已有文件须加 --force 才覆盖
                        Export the running campaign's 台账 to Excel, one row per duty; the plan as for npm start;
                        an existing file is replaced only with --force
  directory template|check|convert FILE [TO]
                        单位通讯录 Excel：template 生成空模板（不覆盖已有文件），check 校验 .yaml/.xlsx，convert 在 .yaml 与 .xlsx 间转换
                        The unit directory in Excel: an empty template, a check naming sheet/row/column, YAML ⇄ .xlsx
  calendar load FILE [--campaign ID] [--year Y]
                        载入新一年的法定节假日安排（YAML，同 DUBAN_CALENDAR），所有运行中的督办批次（或 --campaign 指定的）按新日历重排尚未发出的提醒
                        Load next year's official days into every running campaign (or the one named); duties re-plan what is ahead
  cluster up|down       在本机搭建/停止真实 Temporal 集群（server v1.29.1 + PostgreSQL，四个服务进程），之后用 TEMPORAL_ADDRESS 连接
                        Set up / stop a real Temporal cluster here (server v1.29.1 on PostgreSQL, four service processes)
  links rotate          更换办理链接的密钥：此前发出的链接全部失效（DUBAN_PUBLIC_URL 设置后邮件带办理链接）
                        Rotate the action-link secret: every link sent before is refused from now on
  reply "TEXT" --from PERSON [--campaign ID] [--year Y]
                        代录一条回复（电话告知等），与微信回复同一路径；历史记录注明代录
                        Enter a reply given by phone: the same path as a chat reply; the history says who entered it
  reply "TEXT" --from PERSON --dry-run --json [--year 2022] [--at 2022-05-06T10:00:00+08:00] [--plan F] [--directory F]
                        离线判断回复会作用于哪项任务、机器人如何回答（假设尚无任何回复）
                        Offline: which duties a reply acts on and what the bot would answer (nothing answered yet)
     [--channel wechat|wecom|dingtalk|email]  按该渠道读取回复（邮件去掉引用原文和签名）
                                   read the reply as that channel hands it over (an email without its quoted thread)
  desk ensure           按运行中的督办批次重建督办台（每天上午消息由它发出），并请各任务重新交付已提前交付的提醒
                        Rebuild the desk from the running campaigns; their duties hand it their items again
  setup                 准备 Temporal CLI（go install，按版本缓存）和时间跳跃测试服务器（Maven），打印耗时
                        Obtain the Temporal CLI (go install, cached by version) and the Java test server (Maven)
  server                只启动内置 Temporal 开发服务器   Start only the embedded Temporal dev server
  worker                连接已有集群，运行一个额外 worker   Run an extra worker against an existing cluster
  bot                   微信机器人进程（WECHATY_PUPPET 选择 puppet，扫码登录），承接微信发送与回复
                        The WeChat bot process (puppet from WECHATY_PUPPET; prints the login QR code)
  help                  显示本帮助   Show this help

环境变量 Environment:
  TEMPORAL_ADDRESS      已有 Temporal 集群地址（设置后不启动内置服务器） existing cluster address
  TEMPORAL_NAMESPACE    命名空间，默认 default   namespace (default: default)
  TEMPORAL_API_KEY      Temporal Cloud API key（自动启用 TLS） API key (enables TLS)
  TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY / TEMPORAL_TLS_CA   mTLS 证书文件路径 mTLS file paths
  TEMPORAL_CLI          现成的 temporal 可执行文件路径 path to an existing temporal binary
  TEMPORAL_TEST_SERVER_CLASSPATH  现成的 Java 测试服务器 classpath   existing test server classpath
  DUBAN_CACHE_DIR       工具缓存目录，默认 ~/.cache/duban   tool cache (default ~/.cache/duban)
  DUBAN_DATA_DIR        数据目录，默认 ./data   data folder (default ./data)
  DUBAN_METRICS_PORT    worker 的 Prometheus 指标端口（127.0.0.1），默认 9464，0/off 关闭   worker metrics port
  DUBAN_BOT_METRICS_PORT  微信机器人的指标端口，默认 9465，0/off 关闭   bot metrics port
                        默认端口被占用时警告并不提供指标；明确设置的端口被占用则退出   a taken default port: warn, run without
  DUBAN_LOG_FORMAT      日志格式 json|text，默认终端为文本、否则 JSON 行   log format (default: text on a terminal)
`;

/**
 * One command's part of HELP (`duban reply --help`): its lines in the Commands list, Chinese and English. Every
 * command's usage is written once, there.
 */
export function commandHelp(name: string): string | undefined {
  const lines = HELP.split('\n');
  const start = lines.findIndex((l) => l === '命令 Commands:');
  const out: string[] = [];
  let inside = false;
  for (const line of lines.slice(start + 1)) {
    if (line === '' || !line.startsWith('  ')) break;
    const head = /^ {2}([a-z]+)\b/.exec(line);
    if (head) inside = head[1] === name;
    if (inside) out.push(line);
  }
  return out.length ? `用法 Usage: npx duban …\n${out.join('\n')}\n` : undefined;
}

/**
 * What `duban …` prints when it asks for help, or undefined when it does not: decided from the help text alone, so
 * bin/duban.js answers `duban reply --help` without loading the commands and the Temporal SDK (about 0.5 s instead
 * of 2.5 s). An unknown command is left to the dispatcher, which says it is unknown.
 */
export function helpFor(argv: readonly string[]): string | undefined {
  const [name = 'help', ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') return `${HELP}\n`;
  if (rest.includes('--help') || rest.includes('-h')) return commandHelp(name);
  return undefined;
}
