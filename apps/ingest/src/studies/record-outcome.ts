/** What recording one object did with it; ingest's metrics count objects by it. */
export type RecordOutcome = 'recorded' | 'duplicate' | 'ignored' | 'late' | 'manifest';
