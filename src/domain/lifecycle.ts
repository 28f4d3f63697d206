/**
 * A lifecycle is a closed set of states and the moves allowed between them, written as one table
 * so that the code that writes a state and the reader who wants to know "can this row ever go
 * back to pending?" look at the same place.
 */
export type Transitions<S extends string> = Readonly<Record<S, readonly S[]>>;

export function canMove<S extends string>(table: Transitions<S>, from: S, to: S): boolean {
  return table[from].includes(to);
}

/** The states from which `to` can be reached in one move: the guard of a conditional UPDATE. */
export function sourcesOf<S extends string>(table: Transitions<S>, to: S): S[] {
  return (Object.keys(table) as S[]).filter((from) => table[from].includes(to));
}
