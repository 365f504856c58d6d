import pino, { type Logger } from 'pino';

/**
 * The process logger. Personal data never reaches it: request bodies are not logged
 * and the redaction list removes the headers and fields that could carry secrets.
 */
export function createLogger(level: string, pretty = false, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'req.headers["bulwark-signature"]',
          '*.bankAccount',
          '*.accountNumber',
          '*.password',
          '*.newPassword',
          '*.currentPassword',
          '*.documentNumber',
          '*.refreshToken',
          '*.accessToken',
          '*.otp',
          '*.phone',
          '*.email',
          'req.headers["bulwark-step-up"]',
        ],
        censor: '[redacted]',
      },
      ...(pretty && !destination
        ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
        : {}),
    },
    ...(destination ? [destination] : []),
  );
}

export type { Logger };
