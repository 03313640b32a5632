/** Names shared by the bench parent and its children (kept apart so children import nothing heavy). */
export const BARE_TASK_QUEUE = 'phasegate-bench-bare';
