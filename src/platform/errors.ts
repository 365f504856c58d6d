/**
 * The one catalogue of error codes. Each code has one HTTP status and a user-facing
 * title; the detail of a particular failure travels separately. Codes are stable API.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid.' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON.' },
  IDEMPOTENCY_KEY_MISSING: { status: 400, title: 'An Idempotency-Key header is required for this request.' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'The Idempotency-Key header is not valid.' },
  IDEMPOTENCY_KEY_CONFLICT: {
    status: 409,
    title: 'This Idempotency-Key was already used with a different request.',
  },
  NOT_FOUND: { status: 404, title: 'The resource does not exist.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json.' },
  REQUEST_BODY_TOO_LARGE: { status: 413, title: 'The request body is too large.' },
  RATE_LIMITED: { status: 429, title: 'Too many requests; retry after the indicated delay.' },
  SERVICE_OVERLOADED: { status: 503, title: 'The service is busy; retry shortly.' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'The service is not ready.' },
  INTERNAL: { status: 500, title: 'An internal error occurred. It has been logged.' },

  CURRENCY_UNKNOWN: { status: 422, title: 'The currency is not supported.' },
  CURRENCY_MISMATCH: { status: 422, title: 'The currency does not match the account.' },
  AMOUNT_INVALID: { status: 422, title: 'The amount is not valid.' },
  AMOUNT_TOO_LARGE: { status: 422, title: 'The amount is larger than allowed.' },

  LEDGER_ACCOUNT_NOT_FOUND: { status: 404, title: 'The account does not exist.' },
  LEDGER_ACCOUNT_FROZEN: { status: 422, title: 'The account is frozen.' },
  LEDGER_ACCOUNT_CLOSED: { status: 422, title: 'The account is closed.' },
  LEDGER_INSUFFICIENT_FUNDS: { status: 422, title: 'The available balance is insufficient.' },
  LEDGER_SAME_ACCOUNT: { status: 422, title: 'The source and destination accounts are the same.' },
  LEDGER_ENTRY_NOT_FOUND: { status: 404, title: 'The journal entry does not exist.' },
  LEDGER_REVERSAL_EXCEEDS_ORIGINAL: {
    status: 422,
    title: 'The amount exceeds what remains of the original transaction.',
  },
  LEDGER_ENTRY_NOT_REVERSIBLE: { status: 422, title: 'This journal entry cannot be reversed.' },
  LEDGER_HOLD_NOT_FOUND: { status: 404, title: 'The hold does not exist.' },
  LEDGER_HOLD_NOT_PENDING: { status: 409, title: 'The hold is no longer pending.' },
  LEDGER_HOLD_EXCEEDS_AMOUNT: { status: 422, title: 'The amount exceeds the hold.' },

  WALLET_CUSTOMER_NOT_FOUND: { status: 404, title: 'The customer does not exist.' },
  WALLET_CUSTOMER_FROZEN: { status: 422, title: 'The customer is frozen.' },
  WALLET_MERCHANT_NOT_FOUND: { status: 404, title: 'The merchant does not exist.' },
  WALLET_MERCHANT_FROZEN: { status: 422, title: 'The merchant is frozen.' },
  WALLET_NOT_FOUND: { status: 404, title: 'The wallet does not exist.' },
  WALLET_EXISTS: { status: 409, title: 'A wallet in this currency already exists.' },
  WALLET_SELF_TRANSFER: { status: 422, title: 'A wallet cannot transfer to itself.' },
  WALLET_LIMIT_EXCEEDED: { status: 422, title: 'The amount exceeds your limit.' },
  WALLET_PAYMENT_NOT_FOUND: { status: 404, title: 'The payment does not exist.' },
  WALLET_REFUND_EXCEEDS_PAYMENT: { status: 422, title: 'The refund exceeds what remains of the payment.' },
  WALLET_TOPUP_NOT_FOUND: { status: 404, title: 'The top-up does not exist.' },
  WALLET_WITHDRAWAL_NOT_FOUND: { status: 404, title: 'The withdrawal does not exist.' },
  WALLET_WITHDRAWAL_STATE: { status: 409, title: 'The withdrawal is not in a state that allows this.' },
  CHANNEL_UNKNOWN: { status: 404, title: 'The payment channel does not exist.' },
  CHANNEL_SIGNATURE_INVALID: { status: 401, title: 'The callback signature is missing or invalid.' },
  CHANNEL_CALLBACK_REPLAYED: { status: 409, title: 'This callback was already received.' },

  RISK_BLOCKED: { status: 422, title: 'The operation was declined by risk control.' },
  RISK_REVIEW: { status: 202, title: 'The operation is held for review.' },
  // risk engine
  RISK_EVENT_TIME_OUT_OF_RANGE: {
    status: 422,
    title: 'The event time is too far in the past or in the future.',
  },
  RISK_EVENT_INVALID: { status: 422, title: 'The risk event is not valid.' },
  RISK_LABEL_UNKNOWN_DECISION: { status: 422, title: 'A label names a decision that does not exist.' },
  RISK_DECISION_NOT_FOUND: { status: 404, title: 'The risk decision does not exist.' },
  RISK_CHALLENGE_NOT_FOUND: { status: 404, title: 'The risk challenge does not exist or has expired.' },
  RISK_BACKTEST_NOT_FOUND: { status: 404, title: 'The back-test does not exist.' },
  RISK_BACKTEST_STATE: { status: 409, title: 'The back-test is not in a state that allows this.' },
  RISK_BACKTEST_TOO_LARGE: { status: 422, title: 'The back-test period holds more events than allowed.' },
  MODEL_INVALID: { status: 422, title: 'The model file is not valid.' },
  MODEL_NOT_FOUND: { status: 404, title: 'The model version does not exist.' },
  MODEL_STATE_CONFLICT: { status: 409, title: 'The model version is not in a state that allows this.' },
  // end risk engine

  // risk rules
  RISK_RULE_NOT_FOUND: { status: 404, title: 'The risk rule or rule version does not exist.' },
  RISK_RULE_EXISTS: { status: 409, title: 'A risk rule with this id already exists.' },
  RISK_RULE_INVALID: { status: 422, title: 'The rule expression is not valid.' },
  RISK_RULE_STATE: { status: 409, title: 'The rule version is not in a state that allows this.' },
  // end risk rules

  // cases
  ALERT_NOT_FOUND: { status: 404, title: 'The alert does not exist.' },
  CASE_NOT_FOUND: { status: 404, title: 'The case does not exist.' },
  CASE_TRANSITION: { status: 409, title: 'The case cannot move to that state from its current one.' },
  CASE_CONFLICT: {
    status: 409,
    title: 'The case was changed by someone else since you read it; reload it and try again.',
  },
  CASE_NOT_ASSIGNED: { status: 403, title: 'The case is assigned to someone else.' },
  CASE_CLOSED: { status: 409, title: 'The case is closed; reopen it first.' },
  CASE_DISPOSITION_REQUIRED: {
    status: 422,
    title: 'Closing a risk case needs a disposition: confirmed fraud, false positive or inconclusive.',
  },
  CASE_ASSIGNEE_INVALID: {
    status: 422,
    title: 'The assignee is not an active staff user who can work cases.',
  },
  CASE_NOT_LINKED: {
    status: 422,
    title: 'The hold, withdrawal, account or transaction is not linked to this case.',
  },
  CASE_ATTACHMENT_TOO_LARGE: { status: 413, title: 'The attachment is larger than allowed.' },
  CASE_ATTACHMENT_TYPE: { status: 415, title: 'Attachments of this type are not accepted.' },
  CASE_ATTACHMENT_NOT_FOUND: { status: 404, title: 'The attachment does not exist.' },
  CASE_LOSS_UNKNOWN: { status: 422, title: 'The case has no recorded loss to compensate; record it first.' },
  CASE_COMPENSATION_EXCEEDS_LOSS: {
    status: 422,
    title: 'The compensation exceeds the loss recorded on the case.',
  },
  RESERVE_INSUFFICIENT: { status: 422, title: 'The risk reserve cannot cover this payment.' },
  // end cases

  // support (disputes, feedback, reports, education)
  SUPPORT_DISPUTE_NOT_FOUND: { status: 404, title: 'The dispute does not exist.' },
  SUPPORT_DISPUTE_EXISTS: { status: 409, title: 'This transaction has already been disputed.' },
  SUPPORT_DISPUTE_NOT_ELIGIBLE: {
    status: 422,
    title: 'This transaction cannot be disputed for this reason.',
  },
  SUPPORT_DISPUTE_STATE: { status: 409, title: 'The dispute is not in a state that allows this.' },
  SUPPORT_DISPUTE_REFUND_FAILED: {
    status: 409,
    title: 'The merchant refund could not be made; the dispute stays open and nothing was decided.',
  },
  SUPPORT_ATTACHMENT_TOO_LARGE: { status: 413, title: 'The attachment is larger than 5 MB.' },
  SUPPORT_ATTACHMENT_TYPE: {
    status: 415,
    title: 'The attachment must be a PNG or JPEG image, a PDF document or plain text.',
  },
  SUPPORT_FEEDBACK_NOT_FOUND: { status: 404, title: 'The feedback does not exist.' },
  SUPPORT_FEEDBACK_STATE: { status: 409, title: 'The feedback is not in a state that allows this.' },
  SUPPORT_LIMIT_REACHED: {
    status: 422,
    title: 'A limit on disputes, attachments, feedback or reports was reached.',
  },
  // end support

  // notify
  NOTIFY_NOTIFICATION_NOT_FOUND: { status: 404, title: 'The notification does not exist.' },
  NOTIFY_WEBHOOK_NOT_FOUND: { status: 404, title: 'The webhook endpoint does not exist.' },
  NOTIFY_WEBHOOK_URL_INVALID: { status: 422, title: 'The webhook URL is not valid.' },
  NOTIFY_WEBHOOK_LIMIT: { status: 422, title: 'The number of webhook endpoints is at its limit.' },
  NOTIFY_TOPIC_UNKNOWN: { status: 422, title: 'A topic matches no notification topic.' },
  NOTIFY_DELIVERY_NOT_FOUND: { status: 404, title: 'The delivery does not exist.' },
  NOTIFY_DELIVERY_STATE: { status: 409, title: 'The delivery is not in a state that allows this.' },
  // end notify

  AUTH_REQUIRED: { status: 401, title: 'Authentication is required.' },
  AUTH_TOKEN_INVALID: { status: 401, title: 'The access token is not valid.' },
  AUTH_TOKEN_EXPIRED: { status: 401, title: 'The access token has expired.' },
  AUTH_SESSION_REVOKED: { status: 401, title: 'The session has ended; sign in again.' },
  AUTH_REFRESH_INVALID: { status: 401, title: 'The refresh token is not valid.' },
  AUTH_REFRESH_REUSED: {
    status: 401,
    title: 'This refresh token was already used; the session has been ended for safety.',
  },
  AUTH_API_KEY_INVALID: { status: 401, title: 'The API key is not valid.' },
  AUTH_FORBIDDEN: { status: 403, title: 'You do not have permission to do this.' },
  AUTH_INVALID_CREDENTIALS: { status: 401, title: 'The sign-in details are not correct.' },
  AUTH_TOO_MANY_ATTEMPTS: { status: 429, title: 'Too many attempts; wait before trying again.' },
  AUTH_MFA_REQUIRED: { status: 401, title: 'A second factor is required.' },
  AUTH_MFA_INVALID: { status: 401, title: 'The verification code is not correct or has expired.' },
  AUTH_MFA_NOT_ENROLLED: { status: 422, title: 'No second factor of this kind is enrolled.' },
  AUTH_MFA_ALREADY_ENROLLED: { status: 409, title: 'This second factor is already enrolled.' },
  AUTH_STEP_UP_REQUIRED: {
    status: 403,
    title: 'This operation needs a second factor; answer the challenge and retry with its proof.',
  },
  AUTH_STEP_UP_INVALID: {
    status: 403,
    title: 'The step-up proof is not valid for this operation, has expired or was already used.',
  },
  AUTH_CHALLENGE_NOT_FOUND: { status: 404, title: 'The challenge does not exist or has expired.' },
  AUTH_OTP_RATE_LIMITED: { status: 429, title: 'Too many codes were sent; wait before asking again.' },
  AUTH_TOKEN_USED: { status: 410, title: 'This link or code was already used or has expired.' },
  IDENTITY_LOGIN_TAKEN: { status: 409, title: 'This phone number or e-mail address is already registered.' },
  IDENTITY_PHONE_INVALID: { status: 422, title: 'The phone number is not valid.' },
  IDENTITY_EMAIL_INVALID: { status: 422, title: 'The e-mail address is not valid.' },
  IDENTITY_CONSENT_REQUIRED: {
    status: 422,
    title: 'Consent to the current privacy policy is required.',
  },
  IDENTITY_PASSWORD_WEAK: { status: 422, title: 'The password is too weak.' },
  IDENTITY_PASSWORD_REUSED: { status: 422, title: 'The password was used recently; choose another.' },
  IDENTITY_DOCUMENT_INVALID: { status: 422, title: 'The identity document number is not valid.' },
  IDENTITY_DOCUMENT_IN_USE: {
    status: 409,
    title: 'This identity document is already verified on another account.',
  },
  KYC_MISMATCH: { status: 422, title: 'The name and document number do not match the authority record.' },
  KYC_LIVENESS_FAILED: { status: 422, title: 'The liveness check did not pass.' },
  KYC_ALREADY_VERIFIED: {
    status: 409,
    title: 'The customer is already verified with another document; contact support to change it.',
  },
  KYC_TIER_REQUIRED: { status: 409, title: 'A lower verification tier must be completed first.' },
  KYC_PROVIDER_UNAVAILABLE: {
    status: 503,
    title: 'The verification service did not answer in time; try again shortly.',
  },
  STAFF_NOT_FOUND: { status: 404, title: 'The staff user does not exist.' },
  STAFF_EXISTS: { status: 409, title: 'A staff user with this e-mail address exists.' },
  STAFF_STATE: { status: 409, title: 'The staff user is not in a state that allows this.' },
  APPROVAL_NOT_FOUND: { status: 404, title: 'The approval request does not exist.' },
  APPROVAL_SELF: { status: 403, title: 'The maker of a request cannot approve it.' },
  APPROVAL_STATE: { status: 409, title: 'The approval request is no longer pending.' },
  APPROVAL_EXPIRED: { status: 409, title: 'The approval request has expired.' },
  IDENTITY_CARD_EXISTS: { status: 409, title: 'This card is already bound to the account.' },
  PII_REASON_REQUIRED: { status: 422, title: 'A reason is required to reveal personal data.' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldError {
  path: string;
  message: string;
}

/** An expected failure with a catalogue code; anything else is a bug and becomes a 500. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown>;

  constructor(code: ErrorCode, detail?: string, extra: Record<string, unknown> = {}) {
    super(detail ?? ERRORS[code].title);
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.extra = extra;
  }
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** RFC 9457 body for an error code. */
export function problem(
  code: ErrorCode,
  detail?: string,
  extra: Record<string, unknown> = {},
): ProblemDetails {
  const entry = ERRORS[code];
  // Extensions come first so they can never overwrite the standard members.
  return {
    ...extra,
    type: `https://bulwark.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: entry.title,
    status: entry.status,
    code,
    detail: detail ?? entry.title,
  };
}

export function problemFromError(err: AppError): ProblemDetails {
  return problem(err.code, err.message, err.extra);
}
