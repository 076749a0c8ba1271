export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The error for settings that parse one by one but not together: one line per variable, in the
 * shape the schema's own issues take. */
export function invalid(lines: string[]): ConfigError {
  return new ConfigError(`invalid configuration:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}
