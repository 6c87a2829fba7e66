import { type ExecutionInquiryResponseV1, MessageTypes } from '@attune/contracts';
import { messageConsumer } from '@attune/messaging';
import { InquiryService } from './inquiry.service';

/** A user answered an inquiry (the api checked the answer against its schema). */
export const InquiryResponseConsumer = messageConsumer(
  'InquiryResponseConsumer',
  MessageTypes.ExecutionInquiryResponse,
  InquiryService,
  (inquiries, payload: ExecutionInquiryResponseV1) => inquiries.respond(payload),
);
