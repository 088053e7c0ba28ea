/**
 * The names a run directory is made of: the run's own name (it names a directory, so letters, digits, '.', '_' and
 * '-'), and the step every per-step file and directory carries, `step-000120` (six digits at least, so that names
 * sort by step): checkpoints (`checkpoints/step-000120/`), sample sheets (`samples/step-000120.gif`,
 * `samples/step-000120-4x16x16.png`) and reconstructions (`samples/recon-step-000120.gif`).
 */

/** A run name: letters, digits, '.', '_' and '-', starting with a letter or digit (so never '.', '..' or a path). */
export const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** What `RUN_NAME` allows, for error messages. */
export const RUN_NAME_RULE = "use letters, digits, '.', '_' and '-'";

export function isRunName(name: string): boolean {
  return RUN_NAME.test(name) && name !== '.' && name !== '..';
}

/** `step-000120`: the name of step 120's checkpoint directory, and the stem of its sample files. */
export function stepName(step: number): string {
  if (!Number.isInteger(step) || step < 0) throw new Error(`a step is a whole number >= 0, got ${step}`);
  return `step-${String(step).padStart(6, '0')}`;
}

const STEP_NAME = /^step-(\d+)$/;
const STEP_IN_FILE = /(?:^|[-_])step-(\d+)(?=[-.]|$)/;

/** The step a checkpoint directory's name says (`step-000120` -> 120), or undefined for any other name. */
export function stepOfName(name: string): number | undefined {
  const m = STEP_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The step a per-step file's name says (`step-000120.gif`, `step-000120-4x16x16.png`, `recon-step-000120.gif` ->
 * 120), or undefined when it names none.
 */
export function stepOfFile(file: string): number | undefined {
  const m = STEP_IN_FILE.exec(file);
  return m ? Number(m[1]) : undefined;
}
