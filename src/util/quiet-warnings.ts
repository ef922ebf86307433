/**
 * The AWS SDK warns on every start that its releases after January 2027 need Node 22. It is true and said once in
 * the README; repeated before every answer it only buries the answer. The SDK's own switch turns it off
 * (@aws-sdk/core emitWarningIfUnsupportedVersion reads AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED). Entry points
 * call this before any SDK client exists; a value the operator set is kept.
 */
export function quietKnownWarnings(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
