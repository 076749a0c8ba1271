export { FeedbackStore } from './feedback-store';
export { currentLabels, isHeldBack, type ImageLabel, type LabelSet } from './labels';
