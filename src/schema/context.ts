import type { YogaInitialContext } from 'graphql-yoga';
import type { Viewer } from '../auth/viewer.js';
import type { AppServices } from '../app-services.js';

export interface AppContext {
  viewer: Viewer | null;
  requestId: string;
  services: AppServices;
}

export type ServerContext = Partial<YogaInitialContext>;
