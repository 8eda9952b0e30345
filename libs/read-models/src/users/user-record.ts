/** A user as the read side knows them (from UserRegistered; never the password hash). */
export interface UserRecord {
  id: string;
  name: string;
  email: string;
  role: string;
  teamId: string | null;
}

export const USER_STREAM_PREFIX = 'user-';
