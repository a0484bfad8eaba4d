// Files compiled into the binary (see assets/ and CMakeLists.txt).
#pragma once

#include <string_view>

namespace jindou::api {

std::string_view openapi_json();  // the OpenAPI 3 document of every route
std::string_view docs_html();     // the /docs page

}  // namespace jindou::api
