import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import nunjucks from 'nunjucks';
import { APP_CONFIG, type AppConfig } from '@send/platform';
import type { TimelineEntry } from '@send/read-models';
import type { AuthUser } from '../auth/roles';
import { packageDir, viewsDir } from '../web/view-paths';
import { govukDateTime, roleName, timelineItem, whenItHappened } from '../web/web-words';
import type { SubjectExport } from './dto/data-subjects.dto';

/**
 * The subject access export as a readable GOV.UK page (`Accept: text/html` on the API route): the
 * same answer as the JSON, in summary lists and the MoJ timeline. Rendered here with Nunjucks over
 * the web pages' templates rather than through the pages' view plugin, so the API route answers
 * HTML wherever it runs (the plugin is installed only with the web pages).
 */
@Injectable()
export class ExportPage {
  private readonly env: nunjucks.Environment;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const templates = [viewsDir(), join(packageDir('govuk-frontend'), 'dist'), packageDir('@ministryofjustice/frontend')];
    this.env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templates), { autoescape: true });
    const zone = config.policy.calendar.timezone;
    for (const name of ['govukDateTime', 'mojDate', 'date']) this.env.addFilter(name, (iso: string) => govukDateTime(iso, zone));
  }

  render(answer: SubjectExport, reader: AuthUser, path: string): string {
    const requests = answer.requests.map((r) => ({ ...r, items: timelineItems(r.timeline) }));
    return this.env.render('data-subjects/export.njk', {
      answer,
      requests,
      user: { ...reader, roleName: roleName(reader.role) },
      currentPath: path,
      alertCount: null,
    });
  }
}

/** The request's history newest first, in words; its message and every reply in full (it is their data). */
function timelineItems(timeline: TimelineEntry[]) {
  return timeline
    .map((entry) => {
      const d = entry.data as Record<string, unknown>;
      const item =
        entry.type === 'ContactRequestSubmitted'
          ? { label: 'Request sent', text: `${String(d.subject ?? '')}: ${String(d.message ?? '')}` }
          : entry.type === 'PersonalDataErased'
            ? { label: 'Personal data erased', text: d.reason === 'retention' ? 'Past the retention period' : 'On request' }
            : (timelineItem(entry) ?? { label: entry.type, text: '' });
      return { label: { text: item.label }, text: item.text, datetime: { timestamp: whenItHappened(entry), type: 'datetime' }, byline: { text: roleName(entry.actor.role) } };
    })
    .reverse();
}
