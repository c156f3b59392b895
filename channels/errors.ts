/** Delivery errors, by what the workflow should do next. */
import { ApplicationFailure } from '@temporalio/common';

/** Error types listed in the workflows' nonRetryableErrorTypes. */
export const PERMANENT_DELIVERY = 'PermanentDeliveryError';
export const WECHAT_UNAVAILABLE = 'WechatUnavailableError';

/** The server refused for good (5xx, every recipient rejected): retrying cannot help; fall back and alert. */
export function permanentDelivery(message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type: PERMANENT_DELIVERY, nonRetryable: true, ...(cause instanceof Error ? { cause } : {}) });
}

/** The WeChat bot is logged out or has no such group or contact: send by email instead. */
export function wechatUnavailable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: WECHAT_UNAVAILABLE, nonRetryable: true });
}
