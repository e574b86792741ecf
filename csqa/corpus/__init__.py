"""csqa.corpus: build a CodeSimpleQA-Instruct-style corpus from documents (ingest, clean, synthesize, verify,
deduplicate, decontaminate) on one machine or on Ray. Importing it does not import ray."""
from .dedup import DedupConfig, DedupResult, dedup, dedup_file, exact_dedup, near_dedup, minhash_signatures
from .decontam import BenchmarkIndex, DecontamConfig, DecontamResult, decontaminate, decontam_file
from .ingest import CleanConfig, Source, clean_batch, ingest
from .synth import SynthConfig, synthesize
from .build import CorpusConfig, build, load_corpus_config

__all__ = ['DedupConfig', 'DedupResult', 'dedup', 'dedup_file', 'exact_dedup', 'near_dedup', 'minhash_signatures',
           'BenchmarkIndex', 'DecontamConfig', 'DecontamResult', 'decontaminate', 'decontam_file',
           'CleanConfig', 'Source', 'clean_batch', 'ingest', 'SynthConfig', 'synthesize',
           'CorpusConfig', 'build', 'load_corpus_config']
