// Parse an iCalendar document from stdin with ical.js and print every instance up to the
// date given as argv[2] (ISO), as JSON: [{uid, start, end, status}], times in UTC.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");
const until = ICAL.Time.fromJSDate(new Date(process.argv[2]), true);

const root = new ICAL.Component(ICAL.parse(text));
for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}
const masters = new Map();
const exceptions = [];
const singles = [];
for (const component of root.getAllSubcomponents("vevent")) {
  if (component.hasProperty("recurrence-id")) exceptions.push(component);
  else if (component.hasProperty("rrule")) masters.set(component.getFirstPropertyValue("uid"), new ICAL.Event(component));
  else singles.push(new ICAL.Event(component));
}
for (const exception of exceptions) {
  const master = masters.get(exception.getFirstPropertyValue("uid"));
  if (master) master.relateException(exception);
  else singles.push(new ICAL.Event(exception));
}
const out = [];
const iso = (t) => t.toJSDate().toISOString();
for (const event of singles) {
  out.push({ uid: event.uid, start: iso(event.startDate), end: iso(event.endDate), status: event.component.getFirstPropertyValue("status"), summary: event.summary });
}
for (const event of masters.values()) {
  const iterator = event.iterator();
  let next;
  while ((next = iterator.next()) && next.compare(until) <= 0) {
    const details = event.getOccurrenceDetails(next);
    out.push({
      uid: event.uid,
      start: iso(details.startDate),
      end: iso(details.endDate),
      status: details.item.component.getFirstPropertyValue("status"),
      summary: details.item.summary,
    });
  }
}
out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
process.stdout.write(JSON.stringify(out));
