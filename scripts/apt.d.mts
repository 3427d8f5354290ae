export const isRoot: boolean;
export function canApt(): boolean;
export function aptInstall(tag: string, pkg: string, present: () => boolean): boolean;
