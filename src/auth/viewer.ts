/** Who is calling: the JWT subject, or null for an anonymous viewer. */
export interface Viewer {
  userId: string;
  name?: string;
}
