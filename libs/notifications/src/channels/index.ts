export * from './channel';
export * from './smtp-email.channel';
export * from './notify.channel';
export * from './webhook.channel';
export * from './webhook-signature';
export * from './in-app.channel';
