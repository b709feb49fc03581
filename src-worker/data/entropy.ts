// Unigram entropy of a token sequence: the loss (nats per token) of the best model that ignores
// context. A model that learns anything from context must go below it.

/** −Σ p·ln p over the token frequencies of `tokens`, in nats per token. */
export function unigramEntropy(tokens: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < tokens.length; i++) counts.set(tokens[i], (counts.get(tokens[i]) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / tokens.length;
    entropy -= p * Math.log(p);
  }
  return entropy;
}
