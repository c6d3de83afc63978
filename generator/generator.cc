#include "generator/generator.h"
