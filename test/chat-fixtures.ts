/**
 * Every chat platform's local server at once, for tests that run a deployment with all of them on: the WeCom
 * smart robot's long connection (test/wecom-gateway.ts), the DingTalk Stream gateway (test/dingtalk-gateway.ts)
 * and GreenMail (SMTP + IMAP, servers/greenmail.ts), with the settings that point duban's platforms at them.
 */
import { startGreenMail, type RunningMailServer } from '../servers/greenmail';
import { startDingtalkGateway, TEST_CLIENT, type DingtalkGateway } from './dingtalk-gateway';
import { startWecomGateway, TEST_BOT, type WecomGateway } from './wecom-gateway';

export interface ChatServers {
  mail: RunningMailServer;
  wecom: WecomGateway;
  dingtalk: DingtalkGateway;
  /** DUBAN_WECOM_BOT_ID, _SECRET and _WS_URL for the local long-connection server. */
  wecomEnv: NodeJS.ProcessEnv;
  /** DUBAN_DINGTALK_CLIENT_ID, _SECRET, _GATEWAY_URL and _API_URL for the local gateway. */
  dingtalkEnv: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** `mailUsers`: GreenMail accounts as `address:password`. */
export async function startChatServers(mailUsers: string[]): Promise<ChatServers> {
  const [wecom, dingtalk] = await Promise.all([startWecomGateway(), startDingtalkGateway()]);
  let mail: RunningMailServer;
  try {
    mail = await startGreenMail({ users: mailUsers });
  } catch (err) {
    // Nothing left listening when the mail server cannot start (no Java, Maven Central unreachable).
    await Promise.all([wecom.close(), dingtalk.close()]);
    throw err;
  }
  return {
    mail,
    wecom,
    dingtalk,
    wecomEnv: {
      DUBAN_WECOM_BOT_ID: TEST_BOT.botId,
      DUBAN_WECOM_BOT_SECRET: TEST_BOT.secret,
      DUBAN_WECOM_WS_URL: wecom.url,
    },
    dingtalkEnv: {
      DUBAN_DINGTALK_CLIENT_ID: TEST_CLIENT.clientId,
      DUBAN_DINGTALK_CLIENT_SECRET: TEST_CLIENT.clientSecret,
      DUBAN_DINGTALK_GATEWAY_URL: dingtalk.gatewayUrl,
      DUBAN_DINGTALK_API_URL: dingtalk.origin,
    },
    async close() {
      await wecom.close().catch(() => undefined);
      await dingtalk.close().catch(() => undefined);
      await mail.stop();
    },
  };
}
