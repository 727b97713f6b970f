/** The viewer's volume, kept across videos and visits (localStorage; private modes may refuse it). */

const KEY = 'streamforge.player.volume';

export interface VolumePreference {
  volume: number;
  muted: boolean;
}

export function loadVolume(): VolumePreference | null {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<VolumePreference> | null;
    if (!saved || typeof saved.volume !== 'number' || typeof saved.muted !== 'boolean') return null;
    return { volume: Math.min(1, Math.max(0, saved.volume)), muted: saved.muted };
  } catch {
    return null;
  }
}

export function saveVolume(preference: VolumePreference): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(preference));
  } catch {
    // Storage is full or disabled: the volume simply is not remembered.
  }
}
