#!/usr/bin/env python3
"""gen_w2_claims.py — sluice benchmark workload W2: insurance claims as CSV.

34 columns, header line first, shaped like the public "car insurance claim
prediction" sample (policy_id, policy_tenure, age_of_car, ..., is_claim).
Rows are ID0000001, ID0000002, ...; the car columns (make, segment, fuel,
torque, power, engine, airbags, safety flags, dimensions, ...) are a
function of the car model, as in the sample. No field ever needs quoting.
age_of_car is uniform on [0, 1) with 6 decimals, so about 70% of the rows
pass the W2 filter `age_of_car < 0.7` and the sort key has ~1M distinct
values.

The output depends only on --seed and --n (random.Random(seed).random(),
drawn in a fixed order). `--seed 7 --n 2000000` gives 394,047,985 bytes,
sha256 176152ec54986105fedd13a788ab1c24b8e11f5769b26ab456eec338a13efc08
(1,400,480 rows pass the filter).

Python 3 standard library only.
Usage: gen_w2_claims.py [--seed 7] [--n 2000000] [--out bench/work/w2_claims.csv]
"""
import argparse
import random
import sys

COLUMNS = (
    "policy_id policy_tenure age_of_car age_of_policyholder area_cluster "
    "population_density make segment model fuel_type max_torque max_power "
    "engine_type airbags is_esc is_adjustable_steering is_tpms "
    "is_parking_camera is_parking_sensors is_front_fog_lights is_brake_assist "
    "is_power_steering ncap_rating displacement cylinder transmission_type "
    "gear_box steering_type turning_radius length width height gross_weight "
    "is_claim"
).split()

# Car model -> the text of columns make .. gross_weight (27 columns).
CAR_COLUMNS = {
    "M1": "1,A,M1,CNG,60Nm@3500rpm,40.36bhp@6000rpm,F8D Petrol Engine,2,No,No,No,No,Yes,No,No,Yes,"
          "0,796,3,Manual,5,Power,4.6,3445,1515,1475,1185",
    "M2": "2,A,M2,Petrol,113Nm@4400rpm,88.50bhp@6000rpm,K Series Dual jet,2,No,Yes,No,No,Yes,No,No,Yes,"
          "2,1197,4,Manual,5,Electric,4.8,3845,1735,1530,1335",
    "M3": "3,C2,M3,Diesel,250Nm@2750rpm,113.45bhp@4000rpm,1.5 L U2 CRDi,6,Yes,Yes,Yes,Yes,Yes,Yes,Yes,Yes,"
          "3,1493,4,Automatic,6,Power,5.2,4300,1790,1635,1720",
    "M4": "1,B2,M4,Diesel,200Nm@1750rpm,97.89bhp@3600rpm,1.5 Turbocharged Revotorq,2,No,Yes,No,Yes,Yes,Yes,No,Yes,"
          "3,1498,4,Manual,5,Power,5.0,3990,1755,1523,1490",
    "M5": "1,B1,M5,CNG,82.1Nm@3400rpm,55.92bhp@5300rpm,K10C,2,No,No,No,No,Yes,No,No,Yes,"
          "0,998,3,Automatic,5,Electric,4.5,3655,1620,1675,1340",
    "M6": "2,C1,M6,Petrol,170Nm@4000rpm,118.36bhp@5500rpm,1.2 L K Series Engine,6,Yes,Yes,No,Yes,Yes,Yes,Yes,Yes,"
          "5,1199,3,Automatic,6,Electric,5.1,3995,1695,1501,1051",
    "M7": "3,B2,M7,Petrol,113Nm@4400rpm,88.50bhp@6000rpm,1.2 L K12N Dualjet,2,No,Yes,No,No,Yes,No,No,Yes,"
          "2,1197,4,Manual,5,Electric,4.85,3990,1745,1500,1410",
    "M8": "4,C2,M8,Diesel,250Nm@2750rpm,113.45bhp@4000rpm,G12B,6,Yes,Yes,Yes,Yes,Yes,Yes,Yes,Yes,"
          "5,1493,4,Automatic,6,Power,5.2,4300,1790,1635,1720",
    "M9": "5,B2,M9,Diesel,200Nm@3000rpm,91.72bhp@4000rpm,i-DTEC,2,No,Yes,No,Yes,Yes,No,Yes,Yes,"
          "0,1498,4,Manual,5,Power,5.0,3995,1695,1501,1051",
    "M10": "2,A,M10,Petrol,91Nm@4250rpm,67.06bhp@5500rpm,1.0 SCe,2,No,No,No,Yes,Yes,No,No,Yes,"
           "0,999,3,Manual,5,Electric,4.7,3731,1579,1490,1155",
    "M11": "4,Utility,M11,Petrol,85Nm@3000rpm,61.68bhp@6000rpm,1.2 L K Series,2,No,No,No,No,Yes,No,No,Yes,"
           "2,1196,3,Manual,5,Power,4.5,3675,1475,1825,1335",
}

# (model, cumulative probability): roughly the model mix of the sample.
MODEL_MIX = (("M1", .25), ("M4", .45), ("M6", .60), ("M8", .72), ("M7", .80),
             ("M3", .86), ("M9", .91), ("M2", .95), ("M5", .98), ("M10", .995),
             ("M11", 1.0))

# area_cluster C1..C22 and its population_density.
DENSITIES = (4990, 27003, 4076, 21622, 34738, 13051, 6112, 8794, 17804, 73430,
             6108, 34791, 16206, 7788, 290, 35036, 65567, 16733, 3264, 8794,
             20905, 34738)
AREAS = tuple(("C%d" % (i + 1), d) for i, d in enumerate(DENSITIES))

CLAIM_RATE = 0.064
FLUSH_LINES = 65536


def rows(seed, count):
    """Yield `count` CSV data lines (with trailing newline) for `seed`.

    The order of the random draws below is part of the file format."""
    uniform = random.Random(seed).random
    for policy in range(1, count + 1):
        draw = uniform()
        for model, cumulative in MODEL_MIX:
            if draw < cumulative:
                break
        area, density = AREAS[int(uniform() * len(AREAS))]
        tenure = uniform() * 1.4
        age_of_car = uniform()
        age_of_holder = 0.28 + uniform() * 0.72
        is_claim = 1 if uniform() < CLAIM_RATE else 0
        yield "ID%07d,%.9f,%.6f,%.9f,%s,%d,%s,%d\n" % (
            policy, tenure, age_of_car, age_of_holder, area, density, CAR_COLUMNS[model], is_claim)


def main():
    for model, text in CAR_COLUMNS.items():
        assert len(text.split(",")) == len(COLUMNS) - 7, model
    ap = argparse.ArgumentParser(description="Generate the W2 claims CSV file.")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n", type=int, default=2_000_000, help="number of data rows")
    ap.add_argument("--out", default="bench/work/w2_claims.csv")
    a = ap.parse_args()
    with open(a.out, "w", newline="\n") as f:
        f.write(",".join(COLUMNS) + "\n")
        chunk = []
        for line in rows(a.seed, a.n):
            chunk.append(line)
            if len(chunk) >= FLUSH_LINES:
                f.write("".join(chunk))
                chunk.clear()
        f.write("".join(chunk))
    return 0


if __name__ == "__main__":
    sys.exit(main())
