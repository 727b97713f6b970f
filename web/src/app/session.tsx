/**
 * Who is signed in, for every page: read once from /api/auth/me, changed by signing in and out.
 * The session itself is an HttpOnly cookie the app never sees (docs/security.md).
 */
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { currentUser, signIn, signOut, type User } from '../api.js';

export interface Session {
  /** undefined while the first answer is awaited. */
  user: User | null | undefined;
  signIn(username: string, password: string): Promise<User>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider(props: { children: ComponentChildren }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  useEffect(() => {
    currentUser().then(setUser, () => setUser(null));
  }, []);
  const session: Session = {
    user,
    async signIn(username, password) {
      const signedIn = await signIn(username, password);
      setUser(signedIn);
      return signedIn;
    },
    async signOut() {
      await signOut();
      setUser(null);
    },
  };
  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** Whether the user may change this video: its owner (a creator) or an admin. */
export function canEditVideo(user: User | null | undefined, video: { ownerId: string | null }): boolean {
  if (!user) return false;
  return user.role === 'admin' || (user.role === 'creator' && video.ownerId === user.id);
}
