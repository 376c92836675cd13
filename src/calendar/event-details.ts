// What users see of a VEVENT: title, texts, status, attendees and organizer.
import ICAL from 'ical.js';
import type { Attendee, CalendarInstance } from './calendar-types.js';

export type EventDetails = Pick<CalendarInstance, 'title' | 'description' | 'location' | 'status' | 'attendees' | 'organizer' | 'sequence' | 'lastModified'>;

function textOf(component: ICAL.Component, name: string): string | null {
  const value = component.getFirstPropertyValue(name);
  return typeof value === 'string' ? value : null;
}

function paramOf(prop: ICAL.Property, name: string): string | null {
  const value = prop.getParameter(name);
  const text = Array.isArray(value) ? value.join(',') : value;
  return typeof text === 'string' && text ? text.replace(/^"|"$/g, '') : null;
}

function attendeesOf(prop: ICAL.Property, isOrganizer: boolean): Attendee[] {
  const addresses = prop.getValues().flatMap((value) => String(value).split(',')).map((a) => a.trim()).filter(Boolean);
  const partstat = paramOf(prop, 'partstat');
  const role = paramOf(prop, 'role');
  // CN names one person; when one value lists several addresses it cannot be attributed.
  const name = addresses.length === 1 ? paramOf(prop, 'cn') : null;
  return addresses.map((address) => {
    const email = address.replace(/^mailto:/i, '').trim();
    return {
      email: email.includes('@') ? email : null,
      name,
      partstat: partstat?.toUpperCase() ?? null,
      role: role?.toUpperCase() ?? null,
      isOrganizer,
    };
  });
}

function organizerOf(component: ICAL.Component): Attendee | null {
  const prop = component.getFirstProperty('organizer');
  return prop ? (attendeesOf(prop, true)[0] ?? null) : null;
}

export function eventDetails(component: ICAL.Component): EventDetails {
  const status = textOf(component, 'status');
  const lastModified = component.getFirstPropertyValue('last-modified');
  return {
    title: textOf(component, 'summary') ?? '',
    description: textOf(component, 'description'),
    location: textOf(component, 'location'),
    status: status ? status.toUpperCase() : null,
    attendees: component.getAllProperties('attendee').flatMap((prop) => attendeesOf(prop, false)),
    organizer: organizerOf(component),
    sequence: Number(component.getFirstPropertyValue('sequence')) || 0,
    lastModified: lastModified instanceof ICAL.Time ? new Date(lastModified.toUnixTime() * 1000) : null,
  };
}
