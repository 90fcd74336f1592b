/**
 * Versions and ranges, as plugins and hosts declare them: semver throughout, and prereleases
 * count when a range is checked (`2.0.0-beta.1` satisfies `>=1`), so a host or plugin in a
 * prerelease is never excluded by a range that otherwise admits it.
 */
import semver from 'semver';

/** The normalized form of `version` (`"v1.2.3"` → `"1.2.3"`), or undefined if it is not semver. */
export function validVersion(version: string): string | undefined {
  return semver.valid(version) ?? undefined;
}

/** Whether `range` is a valid semver range (`^1.2.0`, `>=2 <4`, `*`). */
export function isRange(range: string): boolean {
  return semver.validRange(range) !== null;
}

/** Whether `version` satisfies `range`, prereleases counted. An invalid range satisfies nothing. */
export function satisfies(version: string, range: string): boolean {
  return semver.satisfies(version, range, { includePrerelease: true });
}

/**
 * {@link satisfies} for many checks: parses each distinct range once (a graph resolution checks
 * every dependency edge). An invalid range satisfies nothing.
 */
export function rangeChecker(): (version: string, range: string) => boolean {
  const ranges = new Map<string, semver.Range | null>();
  return (version, range) => {
    let parsed = ranges.get(range);
    if (parsed === undefined) {
      try {
        parsed = new semver.Range(range, { includePrerelease: true });
      } catch {
        parsed = null; // manifests from discovery never have an invalid range
      }
      ranges.set(range, parsed);
    }
    return parsed?.test(version) ?? false;
  };
}
