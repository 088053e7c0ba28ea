/**
 * Whether the Vulkan loader would find a driver, asked before Dawn is created. On Linux, Dawn (the npm package
 * `webgpu`) reaches GPUs only through Vulkan; on a machine without a Vulkan driver, creating it and asking for an
 * adapter prints the loader's "vkCreateInstance: Found no drivers!" and a stack line on stderr, at the top of every
 * vtx command. Backend selection asks this first and passes webgpu over quietly when the answer is none.
 *
 * The loader's search (Vulkan-Loader, docs/LoaderDriverInterface.md, "Driver Discovery on Linux"): VK_DRIVER_FILES
 * (or the older VK_ICD_FILENAMES) replaces the search with the manifests or folders it lists; otherwise the `*.json`
 * manifests in the `vulkan/icd.d` folder of $XDG_CONFIG_HOME (~/.config), each of $XDG_CONFIG_DIRS (/etc/xdg),
 * /etc, $XDG_DATA_HOME (~/.local/share) and each of $XDG_DATA_DIRS (/usr/local/share:/usr/share), plus those
 * VK_ADD_DRIVER_FILES adds. Browser-safe: the caller hands in the environment and a folder lister.
 */

/** Lists a folder's entries; throws (or returns []) for a folder that does not exist. */
export type ListDir = (dir: string) => readonly string[];

const split = (v: string | undefined): string[] => (v ?? '').split(':').filter((s) => s.length > 0);

/** The `vulkan/icd.d` folders the loader searches when no variable replaces the search, in its order. */
export function icdSearchDirs(env: Readonly<Record<string, string | undefined>>, home: string): string[] {
  const configDirs = split(env['XDG_CONFIG_DIRS']);
  const dataDirs = split(env['XDG_DATA_DIRS']);
  return [
    env['XDG_CONFIG_HOME'] || `${home}/.config`,
    ...(configDirs.length ? configDirs : ['/etc/xdg']),
    '/etc',
    env['XDG_DATA_HOME'] || `${home}/.local/share`,
    ...(dataDirs.length ? dataDirs : ['/usr/local/share', '/usr/share']),
  ].map((d) => `${d}/vulkan/icd.d`);
}

/**
 * The driver manifests the loader would read: the files (or folders) a replacing variable names as given, else the
 * `*.json` files of the searched folders, plus VK_ADD_DRIVER_FILES. Empty: no Vulkan driver here.
 */
export function vulkanDrivers(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  listDir: ListDir,
): string[] {
  const added = split(env['VK_ADD_DRIVER_FILES']);
  const replaced = split(env['VK_DRIVER_FILES'] || env['VK_ICD_FILENAMES']);
  if (replaced.length) return [...replaced, ...added];
  const found = icdSearchDirs(env, home).flatMap((dir) => {
    let names: readonly string[];
    try {
      names = listDir(dir);
    } catch {
      return [];
    }
    return names.filter((n) => n.endsWith('.json')).map((n) => `${dir}/${n}`);
  });
  return [...found, ...added];
}
