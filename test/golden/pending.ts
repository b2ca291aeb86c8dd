/**
 * Golden cases whose layers kconv reads but does not run yet, by base id, with the reason. The
 * golden tiers assert that each of these fails with a typed KconvError (never a wrong number) and
 * fail as soon as one runs, so that it is taken off this list and held to Keras's output.
 */
export const NOT_YET_RUNNABLE: Record<string, string> = {
  'model-normalization': 'Normalization not run yet',
};

/** Runs `f` and returns the KconvError code it threw, or 'ran' when it did not throw. */
export async function refusalOf(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
    return 'ran';
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') throw e;
    return code;
  }
}
