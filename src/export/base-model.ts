// The base model an exported adapter names (adapter_config.json's base_model_name_or_path), which
// PEFT's AutoPeftModel loads: the hub id the model came from; else the id its config.json records as
// `_name_or_path` (Transformers writes the hub id there when it saves a downloaded model); else the
// folder's own name. A recorded local path is skipped: it names a folder on another machine.

export function baseModelName(config: Record<string, unknown>, folderName: string, hubId: string | null = null): string {
  if (hubId) return hubId;
  const recorded = config._name_or_path;
  if (typeof recorded === 'string' && recorded.trim() !== '' && !isLocalPath(recorded)) return recorded.trim();
  return folderName;
}

/** `/home/me/model`, `./model`, `~/model`, `C:\model`: a path, not a hub id (`owner/name`). */
function isLocalPath(name: string): boolean {
  return /^([/.~\\]|[A-Za-z]:[\\/])/.test(name) || name.includes('\\');
}
