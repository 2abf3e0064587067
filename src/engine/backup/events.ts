/** Counters a backup keeps; renderers turn them into restic's status/summary messages. */
export interface BackupCounters {
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  dirsNew: number;
  dirsChanged: number;
  dirsUnmodified: number;
  dataBlobs: number;
  treeBlobs: number;
  dataAdded: number;
  dataAddedPacked: number;
  totalFiles: number;
  totalBytes: number;
  errors: number;
}

export type BackupEvent =
  | { type: 'error'; path: string; during: string; message: string }
  | { type: 'excluded'; path: string }
  | { type: 'file'; path: string; action: 'new' | 'modified'; size: number };

export interface BackupSummary extends BackupCounters {
  snapshotId: string | undefined;
  parent: string | undefined;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  dryRun: boolean;
}
