/** A duty's colour, as the supervision offices use it. Its own file: the digest's and the ledger's types both need it. */

/** Colours supervision offices use: blue due soon, yellow behind or unacknowledged, red overdue, green done. */
export type Level = 'none' | 'blue' | 'yellow' | 'red' | 'green';
