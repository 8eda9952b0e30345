import type { Category } from '@send/domain';

/** What the requests say: a few plausible subjects per category, with a message and an outcome. */
export interface RequestText {
  subject: string;
  message: string;
  outcome: string;
}

export const TEXTS: Readonly<Record<Category, readonly RequestText[]>> = {
  ehc_assessment: [
    {
      subject: 'Request for an EHC needs assessment',
      message: 'The school and I would like to request an EHC needs assessment for my son. What do we need to send?',
      outcome: 'Assessment request logged; decision due within 6 weeks.',
    },
    {
      subject: 'Has our assessment request been received?',
      message: 'We sent the assessment request four weeks ago and have heard nothing. Can you confirm it was received?',
      outcome: 'Receipt confirmed and decision date given.',
    },
    {
      subject: 'Educational psychologist visit',
      message: 'When will the educational psychologist see my daughter for the assessment?',
      outcome: 'EP visit booked at school.',
    },
  ],
  ehc_plan: [
    {
      subject: 'Draft EHC plan: comments on section F',
      message: 'Attached are our comments on the draft plan. Section F does not specify the speech and language therapy hours.',
      outcome: 'Section F amended with specified SALT provision.',
    },
    {
      subject: 'Final EHC plan not yet issued',
      message: 'The 20-week deadline has passed and we still do not have the final plan.',
      outcome: 'Final plan issued.',
    },
    {
      subject: 'Named school in the EHC plan',
      message: 'We asked for a specialist school to be named in section I. Has the school been consulted?',
      outcome: 'Consultation sent; family updated.',
    },
  ],
  annual_review: [
    {
      subject: 'Annual review paperwork not received',
      message: 'The annual review meeting was held last month but the council has not received the paperwork from school.',
      outcome: 'Paperwork received from school; review logged.',
    },
    {
      subject: 'Amendments after the annual review',
      message: 'The review recommended changes to the plan. When will the amended plan be sent?',
      outcome: 'Amendment notice sent.',
    },
    {
      subject: 'Date for the annual review meeting',
      message: 'Could the annual review be moved so the new school can attend?',
      outcome: 'Meeting rearranged with both schools.',
    },
  ],
  placement: [
    {
      subject: 'School place for September',
      message: 'We need to know which secondary school has been named before the transition visits start.',
      outcome: 'Placement confirmed with the school.',
    },
    {
      subject: 'Consultation with the specialist school',
      message: 'Has the specialist provision replied to the consultation?',
      outcome: 'School replied; offer shared with the family.',
    },
    {
      subject: 'Change of placement request',
      message: 'The current placement is not meeting his needs and we would like to discuss a move.',
      outcome: 'Placement panel date agreed.',
    },
  ],
  transport: [
    {
      subject: 'Home-to-school transport application',
      message: 'I have applied for transport for the new placement. When will it start?',
      outcome: 'Transport arranged from the start of term.',
    },
    {
      subject: 'Taxi did not arrive this week',
      message: 'The taxi has not turned up twice this week and my child has missed school.',
      outcome: 'Operator changed; route confirmed.',
    },
    {
      subject: 'Passenger assistant needed',
      message: 'My daughter needs a passenger assistant on the bus. Who do I speak to?',
      outcome: 'Passenger assistant added to the route.',
    },
  ],
  complaint: [
    {
      subject: 'Complaint about delays to the EHC plan',
      message: 'I wish to make a formal complaint about the delays in finalising my son\u2019s plan.',
      outcome: 'Stage 1 response sent; apology and revised timetable.',
    },
    {
      subject: 'Complaint: no reply to my emails',
      message: 'I have emailed my case officer several times without a reply.',
      outcome: 'Stage 1 response sent; new contact arrangements agreed.',
    },
    {
      subject: 'Complaint about the annual review process',
      message: 'The review was held without the council attending and nothing has happened since.',
      outcome: 'Complaint upheld in part; review reconvened.',
    },
  ],
  general: [
    {
      subject: 'Who is my case officer?',
      message: 'We have moved into the area. Who is our SEND case officer?',
      outcome: 'Case officer introduced.',
    },
    { subject: 'Change of address', message: 'Please update our address on the file; we moved last week.', outcome: 'Records updated.' },
    {
      subject: 'Information about the local offer',
      message: 'Where can I find short-break services for my son?',
      outcome: 'Local offer links and short-breaks contact sent.',
    },
  ],
};

export const REOPEN_REASONS = [
  'The family say the agreed changes have not been made.',
  'School reports the arrangement has broken down again.',
  'New information received after closure.',
];
