export * from './keys';
export * from './projector';
export * from './request-view/request-view';
export * from './request-view/request-view.projection';
export * from './request-view/request-views.repository';
