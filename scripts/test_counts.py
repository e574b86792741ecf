#!/usr/bin/env python
"""One closing line for a test run that pytest ran in parts: `pytest: N passed, N failed, N skipped` over JUnit XML files.

    python scripts/test_counts.py build/pytest-main.xml build/pytest-site.xml
"""
import os, sys
import xml.etree.ElementTree as ET

def counts(paths:list[str])->dict[str, int]:
    "Passed, failed (failures and errors) and skipped tests over the test suites of the JUnit XML files at `paths`."
    total, missing = dict.fromkeys(('tests', 'failures', 'errors', 'skipped'), 0), 0
    for path in paths:
        if not os.path.exists(path):  # that part did not get to write its report: it failed (its output says why)
            missing += 1; continue
        root = ET.parse(path).getroot()
        for suite in ([root] if root.tag == 'testsuite' else root.iter('testsuite')):
            for k in total: total[k] += int(suite.get(k, 0))
    failed = total['failures'] + total['errors']
    return {'passed': total['tests'] - failed - total['skipped'], 'failed': failed + missing, 'skipped': total['skipped']}

if __name__ == '__main__':
    c = counts(sys.argv[1:])
    print(f"pytest: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped")
