/**
 * Whether there can be a CUDA GPU here at all, decided without starting Python: the extension host skips looking
 * for an interpreter and the sidecar skips probing PyTorch when there cannot be one. No imports (both sides use it).
 */

/** Why there is certainly no CUDA GPU here, or undefined when there may be one. */
export function noNvidiaReason(platform: string, exists: (p: string) => boolean): string | undefined {
  if (platform === 'darwin') return 'macOS has no CUDA';
  if (platform === 'linux' && !exists('/proc/driver/nvidia') && !exists('/dev/nvidiactl')) return 'no NVIDIA driver is loaded (/proc/driver/nvidia is absent)';
  return undefined;
}
