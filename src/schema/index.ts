// Every domain file registers its types and fields on the builder when imported.
import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './room.js';
import './calendar.js';
import './meeting.js';
import './server-time.js';
import './user-errors.js';

export const schema = lexicographicSortSchema(builder.toSchema());
