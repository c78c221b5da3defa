#!/usr/bin/python3
"""Each plot of an HTML report as a PNG, for a datasheet or the docs: headless Chromium draws
the report and every SVG plot is saved as it appears on the page.
  scripts/plot-shots.py REPORT.html OUT_DIR [PREFIX]
Files are named PREFIX-STEP-N.png (the step's id, the plot's order within it)."""
import os
import sys

from selenium import webdriver
from selenium.webdriver.common.by import By

report, out = os.path.abspath(sys.argv[1]), sys.argv[2]
prefix = sys.argv[3] if len(sys.argv) > 3 else "plot"
os.makedirs(out, exist_ok=True)
options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--window-size=1280,1000", "--hide-scrollbars"):
    options.add_argument(flag)
driver = webdriver.Chrome(options=options)
try:
    driver.get("file://" + report)
    for section in driver.find_elements(By.CSS_SELECTOR, "section.step"):
        step = section.find_element(By.CSS_SELECTOR, "h2").text.split()[1]
        for n, svg in enumerate(section.find_elements(By.CSS_SELECTOR, "svg"), 1):
            driver.execute_script("arguments[0].scrollIntoView()", svg)
            path = os.path.join(out, f"{prefix}-{step}-{n}.png")
            svg.screenshot(path)
            print(path)
finally:
    driver.quit()
