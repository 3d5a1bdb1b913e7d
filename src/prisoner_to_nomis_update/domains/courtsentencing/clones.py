"""Cases NOMIS cloned to the latest booking (spec 1.9): which mappings move and what the from-NOMIS side is told.

Every pairing is positional (source item i became cloned item i), truncated to the shorter list, as NOMIS
copies a case's children in order.
"""

from __future__ import annotations

from itertools import chain

from prisoner_to_nomis_update.domains.courtsentencing.models import (
    BookingCourtCaseCloneResponse,
    CaseMoved,
    ClonedCourtCaseDetails,
    CourtCaseBatchUpdateMappingDto,
    CourtSentenceIdPair,
    CourtSentenceTermIdPair,
    MappingSentenceId,
    MappingSentenceTermId,
    NomisSentence,
    SentenceSequence,
    SimpleCourtSentencingIdPair,
)


def _pairs(sources: list[int], clones: list[int]) -> list[SimpleCourtSentencingIdPair]:
    return [
        SimpleCourtSentencingIdPair(fromNomisId=a, toNomisId=b) for a, b in zip(sources, clones, strict=False)
    ]


def _sentence_id(sentence: NomisSentence) -> MappingSentenceId:
    return MappingSentenceId(nomisBookingId=sentence.bookingId, nomisSequence=sentence.sentenceSeq)


def mappings_to_update(clone: BookingCourtCaseCloneResponse | None) -> CourtCaseBatchUpdateMappingDto:
    """The NOMIS ids whose mappings move from the source case's items to the cloned ones."""
    if clone is None:
        return CourtCaseBatchUpdateMappingDto()
    sources = [pair.sourceCourtCase for pair in clone.courtCases]
    clones = [pair.courtCase for pair in clone.courtCases]
    source_sentences = list(chain.from_iterable(case.sentences for case in sources))
    cloned_sentences = list(chain.from_iterable(case.sentences for case in clones))
    terms: list[CourtSentenceTermIdPair] = []
    for source, cloned in zip(source_sentences, cloned_sentences, strict=False):
        for source_term, cloned_term in zip(source.sentenceTerms, cloned.sentenceTerms, strict=False):
            terms.append(
                CourtSentenceTermIdPair(
                    fromNomisId=MappingSentenceTermId(
                        nomisSentenceId=_sentence_id(source), nomisSequence=source_term.termSequence
                    ),
                    toNomisId=MappingSentenceTermId(
                        nomisSentenceId=_sentence_id(cloned), nomisSequence=cloned_term.termSequence
                    ),
                )
            )
    return CourtCaseBatchUpdateMappingDto(
        courtCases=_pairs([case.id for case in sources], [case.id for case in clones]),
        courtAppearances=_pairs(
            [event.id for case in sources for event in case.courtEvents],
            [event.id for case in clones for event in case.courtEvents],
        ),
        courtCharges=_pairs(
            [charge.id for case in sources for charge in case.offenderCharges],
            [charge.id for case in clones for charge in case.offenderCharges],
        ),
        sentences=[
            CourtSentenceIdPair(fromNomisId=_sentence_id(a), toNomisId=_sentence_id(b))
            for a, b in zip(source_sentences, cloned_sentences, strict=False)
        ],
        sentenceTerms=terms,
    )


def clone_details(clone: BookingCourtCaseCloneResponse | None) -> ClonedCourtCaseDetails | None:
    """What the from-NOMIS side must be told about a clone; None when nothing was cloned."""
    if clone is None or not clone.courtCases:
        return None
    return ClonedCourtCaseDetails(
        clonedCourtCaseIds=[pair.sourceCourtCase.id for pair in clone.courtCases],
        fromBookingId=clone.courtCases[0].sourceCourtCase.bookingId,
        toBookingId=clone.courtCases[0].courtCase.bookingId,
        sentenceAdjustments=list(clone.sentenceAdjustments),
        casesMoved=[
            CaseMoved(
                caseId=pair.courtCase.id,
                sentences=[
                    SentenceSequence(sentenceSequence=s.sentenceSeq) for s in pair.courtCase.sentences
                ],
            )
            for pair in clone.courtCases
        ],
    )


def cloned_case_ids(details: ClonedCourtCaseDetails) -> str:
    """The `nomisCourtCaseIds` telemetry value: the source case ids."""
    return ", ".join(str(case_id) for case_id in details.clonedCourtCaseIds)
