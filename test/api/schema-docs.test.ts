// The public schema is a contract frontend teams generate clients from: every
// type, field, argument, input field and enum value says what it is, and each
// owner-only field says so.
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  specifiedScalarTypes,
  type GraphQLNamedType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';

const builtIn = new Set(specifiedScalarTypes.map((type) => type.name));
const userTypes = (): GraphQLNamedType[] =>
  Object.values(schema.getTypeMap()).filter((type) => !type.name.startsWith('__') && !builtIn.has(type.name));

function undocumented(): string[] {
  const missing: string[] = [];
  const check = (path: string, description: string | null | undefined) => {
    if (!description?.trim()) missing.push(path);
  };
  for (const type of userTypes()) {
    check(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) check(`${type.name}.${field.name}(${arg.name})`, arg.description);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    }
  }
  return missing;
}

describe('schema documentation', () => {
  it('describes every type, field, argument, input field and enum value', () => {
    expect(undocumented()).toEqual([]);
  });

  it.each([
    ['CalendarEvent', ['location', 'description', 'attendees', 'organizer']],
    ['Meeting', ['hostRoomUrl', 'calendarDetails', 'closedAt', 'closeReason', 'peakParticipantCount', 'platformMeetingId']],
    ['Room', ['ics']],
  ])('states the owner-only rule on each owner-only field of %s', (typeName, fields) => {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
    for (const name of fields) {
      const field = type.getFields()[name];
      expect(field?.description, `${typeName}.${name}`).toMatch(/Owner only/);
      // Hidden fields answer null, so each must be nullable.
      expect(String(field?.type), `${typeName}.${name}`).not.toMatch(/!$/);
    }
  });
});
