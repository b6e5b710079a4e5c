// Prover errors a user can act on. Model runtime errors keep their code ('model:<code>') and message.

export type ProverErrorCode =
  | 'invalidOptions'
  | 'contextOverflow'
  | 'modelMismatch'
  | 'nothingToExtend'
  | 'model';

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

export class ProverError extends Error {
  override readonly name = 'ProverError';
  constructor(readonly code: ProverErrorCode, message: string, readonly modelCode?: string) {
    super(message);
  }

  /** The code recorded in a run record's outcome.error. */
  get recordCode(): string {
    return this.code === 'model' && this.modelCode ? `model:${this.modelCode}` : this.code;
  }

  static invalid(message: string): ProverError {
    return new ProverError('invalidOptions', message);
  }

  /** Before a call: the (estimated or counted) prompt plus the generation budget do not fit the context. */
  static contextOverflow(what: string, promptTokens: number, estimated: boolean, maxTokens: number, contextSize: number): ProverError {
    return new ProverError('contextOverflow',
      `${what}: the prompt is ${estimated ? 'about ' : ''}${fmt(promptTokens)} tokens and up to ${fmt(maxTokens)} more may be generated ` +
      `(${fmt(promptTokens + maxTokens)} in all), but the model's context holds ${fmt(contextSize)}. ` +
      'Raise the context size (--context, qedNano.contextSize) or lower the token budget (--max-tokens, qedNano.maxTokensPerCycle).');
  }

  /** A token budget that cannot fit the context whatever the prompt. */
  static budgetTooLarge(step: 'solve' | 'summary', maxTokens: number, contextSize: number): ProverError {
    return new ProverError('contextOverflow',
      `Each ${step} may generate up to ${fmt(maxTokens)} tokens, but the model's context holds ${fmt(contextSize)} in all, prompt included. ` +
      (step === 'solve' ? 'Raise the context size (--context, qedNano.contextSize) or lower the token budget (--max-tokens, qedNano.maxTokensPerCycle).'
        : 'Raise the context size or lower the summariser\'s token limit.'));
  }

  /** The runtime refused the call (its exact count): its message already names the numbers. */
  static contextOverflowFromModel(what: string, modelMessage: string): ProverError {
    return new ProverError('contextOverflow', `${what}: ${modelMessage}`, 'contextOverflow');
  }

  static fromModel(what: string, err: unknown): ProverError {
    if (err instanceof ProverError) return err;
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'contextOverflow') return ProverError.contextOverflowFromModel(what, message);
    return new ProverError('model', `${what}: ${message}`, code ?? 'internal');
  }
}
