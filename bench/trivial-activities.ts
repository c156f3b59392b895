/** The storm baseline's activity: records when it ran (the counterpart of the SMTP sink accepting a mail). */
export function createTrivialActivities(onDone: (id: number, at: number) => void) {
  return {
    async trivialActivity(id: number): Promise<void> {
      onDone(id, Date.now());
    },
  };
}
