/**
 * The AWS SDK warns on every start that its releases after January 2027 need Node 22 (tech-facts: "AWS SDK v3 warns
 * at runtime…"). It is true and documented in the README; repeating it before every answer only buries the answer.
 * Other warnings are still printed.
 */
export function quietKnownWarnings(): void {
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'NodeVersionSupportWarning') return;
    for (const l of listeners) l(warning);
  });
}
